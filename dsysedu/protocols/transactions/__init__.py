"""Transactions: two-phase commit (the model-checked core, and the logged, locking version that runs on
the simulator with crash points), three-phase commit, and a money transfer done ACID or BASE.
"""
from .twopc import (ABORTED, all_decided, atomicity, commit_reachable, COMMITTED, COORDINATOR, Coordinator,
                    Decision, ForgetfulParticipant, MajorityCoordinator, no_deadlock, Participant, Prepare,
                    PREPARED, twopc_model, twopc_scenario, Vote, WORKING)
from .twopc_sim import (Ask, atomic, blocking_sweep, crash_point_table, CRASH_POINTS, ForgetfulCoordinator,
                        LocalTxn, local_waits, lock_hold_times, LockingParticipant, LoggingCoordinator, outcomes,
                        run_with_crash_points, sim_all_decided, sim_atomicity, twopc_sim_model,
                        twopc_sim_scenario, TxnDecision, TxnPrepare, TxnVote)
from .transfer import (acid_vs_base, AcidClient, AcidShard, BaseClient, BaseShard, conserved, money_over_time,
                       SHARDS, transfer_history, transfer_scenario, transfer_stats, violation_window)
from .threepc import (Abort3, Ack, BACKUP, CanCommit, DoCommit, final_phases, LocalTermination, PreCommit,
                      skeen_partition, StateRep, StateReq, three_atomic, three_atomicity, three_decides,
                      threepc_model, threepc_scenario, ThreePCCoordinator, ThreePCParticipant, Vote3)
from . import threepc as _threepc, transfer as _transfer, twopc as _twopc, twopc_sim as _twopc_sim

__all__ = _twopc.__all__ + _twopc_sim.__all__ + _threepc.__all__ + _transfer.__all__
