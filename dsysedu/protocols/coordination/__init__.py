"""Coordination: a lock server and its clients (mutual exclusion); leader election and leases to come.
"""
from .mutex import (Acquire, CRITICAL, Grant, IDLE, ImpatientClient, LockClient, LockServer, mutex_model,
                    mutex_scenario, mutual_exclusion, no_deadlock, Release, SERVER, someone_enters, WAITING)
__all__ = ["Acquire", "Grant", "Release", "LockServer", "LockClient", "ImpatientClient", "mutex_scenario",
           "mutex_model", "mutual_exclusion", "someone_enters", "no_deadlock", "IDLE", "WAITING", "CRITICAL",
           "SERVER"]
