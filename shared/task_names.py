"""Task names and queues: the only contract between services (they never import each other)."""

ROUTER_QUEUE = "router"
NOTIFIER_QUEUE = "notifier"

PROCESS_RESPONSE = "router.process_response"
SWEEP_UNROUTED = "router.sweep_unrouted"
CHECK_SLA = "router.check_sla"
FETCH_RESPONSE = "router.fetch_response"
SWEEP_UNFETCHED = "router.sweep_unfetched"
REROUTE_CASE = "router.reroute_case"
SWEEP_CORRECTIONS = "router.sweep_corrections"
RETRAIN_TOUCHPOINTS = "router.retrain_touchpoints"
DELIVER = "notifier.deliver"
SWEEP_DELIVERIES = "notifier.sweep_pending"
PLAN_DIGESTS = "notifier.plan_digests"
SEND_DIGEST = "notifier.send_digest"
SEND_FOLLOW_UP = "notifier.send_follow_up"
SWEEP_FOLLOW_UPS = "notifier.sweep_follow_ups"

QUEUE_BY_PREFIX = {"router.": ROUTER_QUEUE, "notifier.": NOTIFIER_QUEUE}
