"""The custom error codes of the Kasa cloud API (kasa-cloud-api.txt, "Custom Error Codes").

Shared by our client, which reads them, and the simulated cloud, which sends them, so
the two can never disagree on a spelling.
"""

DEVICE_NOT_RESPONDING = "DEVICE_NOT_RESPONDING"
DEVICE_OFFLINE = "DEVICE_OFFLINE"
UNAUTHORIZED = "UNAUTHORIZED"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
INVALID_HEADER = "INVALID_HEADER"
CAPABILITY_NOT_SUPPORTED = "CAPABILITY_NOT_SUPPORTED"
BAD_REQUEST = "BAD_REQUEST"
NOT_FOUND = "NOT_FOUND"
# Not in the table, but used by the API's statistics and schedule endpoints.
OUT_OF_RANGE_EXCEPTION = "OUT_OF_RANGE_EXCEPTION"
SCHEDULE_CONFLICT = "SCHEDULE_CONFLICT"
