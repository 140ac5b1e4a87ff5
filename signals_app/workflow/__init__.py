"""The status workflow: the transition table, who may do what, and the services that write."""
