"""Did we fix it? A one-question follow-up to the customer after their case is resolved.

The desk schedules one when a case is resolved, the notifier sends it when due (email through
SMTP with a signed link), the desk's public answer page records the answer on the case. The
rules and the tables live here because both services use them.
"""
