"""`cupyx.scipy` of the double (only `special`)."""
