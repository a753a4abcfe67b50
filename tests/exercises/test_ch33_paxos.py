"""Chapter 3.3 Paxos Commit exercise: the reference passes and agrees with the protocol's backup, and the
blind answer (abort everything) fails with feedback that names the case."""
from dsysedu.exercises import check
from dsysedu.exercises.ch33_paxos import _cases
from instructor.references.ch33_paxos import backup_proposals_reference
from dsysedu.protocols.transactions.paxos_commit import CommitLeader


def test_reference_passes():
    assert check("ch33-paxos-commit", backup_proposals_reference).passed


def test_reference_agrees_with_the_protocols_backup():
    for _what, (promises, rms) in _cases():
        leader = CommitLeader("b1", (), acceptors=tuple(f"a{i}" for i in range(len(promises))), rms=rms,
                              leaders=("c", "b1"))
        leader.promises = frozenset((f"a{i}", tuple((rm, b, v) for rm, (b, v) in sorted(acc.items())))
                                    for i, acc in enumerate(promises))
        assert leader.proposals() == backup_proposals_reference(promises, rms)


def test_blind_backup_fails_kindly():
    fb = check("ch33-paxos-commit", lambda promises, rms: {rm: "aborted" for rm in rms})
    assert not fb.passed and "may have been chosen" in fb.text()


def test_lowest_ballot_fails():
    fb = check("ch33-paxos-commit", lambda promises, rms: {
        rm: (min(a[rm] for a in promises if rm in a)[1] if any(rm in a for a in promises) else "aborted")
        for rm in rms})
    assert not fb.passed and "higher ballot" in fb.text()
