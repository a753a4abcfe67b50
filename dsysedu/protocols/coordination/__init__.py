"""Coordination: mutual exclusion with a lock server, leader election (the bully algorithm), leases and fencing
(simulated, and as a model for the model checker).
"""
from .mutex import (Acquire, CRITICAL, Grant, IDLE, ImpatientClient, LockClient, LockServer, mutex_model,
                    mutex_scenario, mutual_exclusion, no_deadlock, Release, SERVER, someone_enters, WAITING)
from .bully import (agreed_on_highest, Answer, bully_scenario, BullyNode, Coordinator, Election, election_messages,
                    Heartbeat, leaders_at)
from .fencing_model import (FencedStore, ForgetfulLock, lease_model, lease_model_scenario, LeaseHolder, LeaseLock,
                          no_older_token, one_writer_per_token, two_believers, UnfencedStore)
from .leases import (AskLease, fenced_writes, leader_overlap, lease_run_summary, lease_scenario, lease_sweep,
                     LeaseClient, LeaseDenied, LeaseGranted, LeaseServer, LOCK, paused_leader_scenario,
                     random_pauses, stale_writes, Storage, STORAGE, UnfencedStorage, Write, WriteAck)
__all__ = ["Acquire", "Grant", "Release", "LockServer", "LockClient", "ImpatientClient", "mutex_scenario",
           "mutex_model", "mutual_exclusion", "someone_enters", "no_deadlock", "IDLE", "WAITING", "CRITICAL",
           "SERVER",
           "Election", "Answer", "Coordinator", "Heartbeat", "BullyNode", "bully_scenario", "leaders_at",
           "agreed_on_highest", "election_messages",
           "AskLease", "LeaseGranted", "LeaseDenied", "Write", "WriteAck", "LeaseServer", "LeaseClient", "Storage",
           "UnfencedStorage", "lease_scenario", "random_pauses", "fenced_writes", "stale_writes", "leader_overlap",
           "lease_run_summary", "lease_sweep", "paused_leader_scenario", "LOCK", "STORAGE",
           "LeaseLock", "ForgetfulLock", "LeaseHolder", "FencedStore", "UnfencedStore", "lease_model_scenario",
           "lease_model", "no_older_token", "one_writer_per_token", "two_believers"]
