"""Task names and queues: the only contract between services (they never import each other)."""

ROUTER_QUEUE = "router"
NOTIFIER_QUEUE = "notifier"
# Incident flushes wait in a queue of their own, which notifier workers also consume: a backlog
# of deliveries must not hold an incident's first alert past its group_wait.
INCIDENTS_QUEUE = "incidents"

PROCESS_RESPONSE = "router.process_response"
SWEEP_UNROUTED = "router.sweep_unrouted"
CHECK_SLA = "router.check_sla"  # a desk task; the name says the queue (router) it runs on
FETCH_RESPONSE = "router.fetch_response"
SWEEP_UNFETCHED = "router.sweep_unfetched"
PLAN_DIGESTS = "router.plan_digests"  # a desk task too: it composes, the notifier sends
REROUTE_CASE = "router.reroute_case"
SWEEP_CORRECTIONS = "router.sweep_corrections"
RETRAIN_TOUCHPOINTS = "router.retrain_touchpoints"
DELIVER = "notifier.deliver"
DELIVER_LATER = "notifier.deliver_later"  # a retry, with its countdown
SWEEP_DELIVERIES = "notifier.sweep_pending"
FLUSH_INCIDENT = "notifier.flush_incident"
SWEEP_INCIDENTS = "notifier.sweep_incidents"
SEND_DIGEST = "notifier.send_digest"
SEND_FOLLOW_UP = "notifier.send_follow_up"
SWEEP_FOLLOW_UPS = "notifier.sweep_follow_ups"
REFRESH_ALERTS = "notifier.refresh_alerts"

QUEUE_BY_PREFIX = {"router.": ROUTER_QUEUE, "notifier.": NOTIFIER_QUEUE}
QUEUE_BY_NAME = {FLUSH_INCIDENT: INCIDENTS_QUEUE}  # before the prefixes
WORKER_QUEUES = {"router": (ROUTER_QUEUE,), "notifier": (NOTIFIER_QUEUE, INCIDENTS_QUEUE)}
