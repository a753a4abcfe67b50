/* Two-phase commit, the same model as dsysedu.protocols.twopc.twopc_model(5, symmetric=False):
   a coordinator and N participants; every message in flight may be delivered next (one
   channel per message kind and participant, capacity 1: no participant gets two messages of
   one kind); a participant that has not voted may abort on its own at any moment (its
   unilateral_abort timer); each delivery or timer firing is one atomic step, like one
   handler call in the Python checker.
   Property (atomicity): no participant commits while another aborts, asserted after every
   change of a participant's state.
   Run: spin -a twopc.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m100000 */

#define N 5
#define ALL 31                      /* (1 << N) - 1: every participant voted yes */
#define WORKING   0
#define PREPARED  1
#define COMMITTED 2
#define ABORTED   3

chan prepare[N]  = [1] of { bit };  /* coordinator -> participant */
chan decision[N] = [1] of { bit };  /* coordinator -> participant: 1 commit, 0 abort */
chan vote[N]     = [1] of { bit };  /* participant -> coordinator: 1 yes, 0 no */

byte pstate[N];                     /* WORKING at start */
bit  timer[N];                      /* the unilateral_abort timer is pending */
byte yes = 0;                       /* bit i: participant i voted yes */
byte decided = 0;                   /* 0 none, 1 commit, 2 abort */

#define ANY(s) (pstate[0] == s || pstate[1] == s || pstate[2] == s || pstate[3] == s || pstate[4] == s)
#define ATOMIC_OK (!(ANY(COMMITTED) && ANY(ABORTED)))

inline broadcast(d) {
  decision[0]!d; decision[1]!d; decision[2]!d; decision[3]!d; decision[4]!d
}

inline on_vote(i) {
  if
  :: decided == 0 && v == 0 -> decided = 2; broadcast(0)
  :: decided == 0 && v == 1 ->
       yes = yes | (1 << i);
       if
       :: yes == ALL -> decided = 1; broadcast(1)
       :: else -> skip
       fi
  :: else -> skip
  fi
}

active proctype coordinator() {
  bit v;
  atomic {
    prepare[0]!1; prepare[1]!1; prepare[2]!1; prepare[3]!1; prepare[4]!1;
    timer[0] = 1; timer[1] = 1; timer[2] = 1; timer[3] = 1; timer[4] = 1
  };
end:
  do
  :: atomic { vote[0]?v -> on_vote(0) }
  :: atomic { vote[1]?v -> on_vote(1) }
  :: atomic { vote[2]?v -> on_vote(2) }
  :: atomic { vote[3]?v -> on_vote(3) }
  :: atomic { vote[4]?v -> on_vote(4) }
  od
}

proctype participant(byte i) {
  bit m;
end:
  do
  :: atomic { timer[i] -> timer[i] = 0;
       if :: pstate[i] == WORKING -> pstate[i] = ABORTED :: else -> skip fi;
       assert(ATOMIC_OK) }
  :: atomic { prepare[i]?m ->
       if
       :: pstate[i] == WORKING -> pstate[i] = PREPARED; timer[i] = 0; vote[i]!1
       :: pstate[i] == ABORTED -> vote[i]!0
       :: else -> skip
       fi }
  :: atomic { decision[i]?m -> timer[i] = 0;
       if :: m == 1 -> pstate[i] = COMMITTED :: else -> pstate[i] = ABORTED fi;
       assert(ATOMIC_OK) }
  od
}

init {
  atomic {
    run participant(0); run participant(1); run participant(2); run participant(3); run participant(4)
  }
}
