"""Survey-tool webhook sources: one adapter per vendor behind one small interface.

An adapter verifies the vendor's signature over the raw request bytes, then parses the vendor's
payload into a `Submission`; `mapping.to_generic` turns that into cxloop's generic response.
"""
