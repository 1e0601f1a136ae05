"""`cupyx` of the double (only `cupyx.scipy.special`)."""
