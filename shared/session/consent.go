package session

import "github.com/tandem-remote/tandem/shared/protocol"

// maxPendingQuestions is how many of a technician's questions may wait for the customer at once; more are
// refused (a flood of requests).
const maxPendingQuestions = 8

// consent is the customer's consent as a state machine. The customer's engine tells it every event, under the
// engine's lock, and does what it answers: a question arrives, the customer answers, a question's time runs
// out, the screen starts or stops reaching the technician, the customer stops sharing, control is given up or
// taken back, the connection ends. It does no I/O and holds no lock of its own, so every order of events can be
// tested (consent_test.go).
//
// Its rules: control is held, and input injected, only while the customer shares the screen and the screen
// reaches the technician; an answer is checked against the state at the moment it is given; a question whose
// premise has gone (the screen stopped, the technician stopped looking or left) is withdrawn before anyone can
// answer it, and the engine tells both sides.
type consent struct {
	sharing    bool // the customer lets the technician see the screen
	seen       bool // the screen is being sent to the technician
	controlled bool // the technician has control
	pending    map[uint64]protocol.Permission
}

// asked is what to do with a technician's question.
type asked int

const (
	askCustomer asked = iota // put it to the customer
	grantNow                 // answer yes at once: it is granted already
	refuseNow                // answer no at once: it cannot be granted now
	unavailable              // answer no at once: this computer cannot do it (no screen, no input)
	ignore                   // a question already waiting
)

func newConsent(sharing bool) consent {
	return consent{sharing: sharing, pending: map[uint64]protocol.Permission{}}
}

// ask takes the technician's question id for what; possible says whether this computer can grant it at all
// (a screen to show for a view, an input injector for control).
func (s *consent) ask(id uint64, what protocol.Permission, possible bool) asked {
	if _, dup := s.pending[id]; dup {
		return ignore
	}
	switch {
	case what == protocol.PermView && s.sharing, what == protocol.PermControl && s.controlled:
		return grantNow // a look after a pause, or control held already
	case !possible && (what == protocol.PermView || what == protocol.PermControl):
		return unavailable
	case !possible,
		what != protocol.PermView && what != protocol.PermControl && what != protocol.PermUnattended,
		what == protocol.PermControl && !s.mayControl(), // no control of a screen that is not seen
		len(s.pending) >= maxPendingQuestions:
		return refuseNow
	}
	s.pending[id] = what
	return askCustomer
}

// mayControl reports whether control can be granted now.
func (s *consent) mayControl() bool { return s.sharing && s.seen }

// answer takes the customer's answer to question id. It reports what the question was about and whether it is
// granted, or ok false when no such question waits (answered, expired or withdrawn already). A yes to control
// that the state no longer allows is a no, and withdrawn says so.
func (s *consent) answer(id uint64, yes bool) (what protocol.Permission, granted, withdrawn, ok bool) {
	what, ok = s.pending[id]
	if !ok {
		return 0, false, false, false
	}
	delete(s.pending, id)
	if !yes {
		return what, false, false, true
	}
	switch what {
	case protocol.PermView:
		s.sharing = true
	case protocol.PermControl:
		if !s.mayControl() {
			return what, false, true, true
		}
		s.controlled = true
	}
	return what, true, false, true
}

// expire ends question id unanswered; it reports whether it was waiting.
func (s *consent) expire(id uint64) bool {
	_, ok := s.pending[id]
	delete(s.pending, id)
	return ok
}

// shown records that the screen reaches the technician (a screen stream started).
func (s *consent) shown() {
	if s.sharing {
		s.seen = true
	}
}

// unseen records that the screen no longer reaches the technician (they stopped looking, or the stream
// ended): control goes back to the customer and questions about control are withdrawn. It returns those
// questions and whether control was held.
func (s *consent) unseen() (withdrawn []uint64, hadControl bool) {
	s.seen = false
	return s.dropControl()
}

// stopSharing records that the customer stopped sharing: as unseen, and a look needs a new question.
func (s *consent) stopSharing() (withdrawn []uint64, hadControl bool) {
	s.sharing = false
	return s.unseen()
}

// release records that control ends (given up or taken back); it reports whether it was held.
func (s *consent) release() bool {
	had := s.controlled
	s.controlled = false
	return had
}

// end records that the connection ended: every question is withdrawn and control ends. The customer's choice
// to share carries over to the next connection.
func (s *consent) end() (withdrawn []uint64, hadControl bool) {
	for id := range s.pending {
		withdrawn = append(withdrawn, id)
	}
	clear(s.pending)
	s.seen = false
	return withdrawn, s.release()
}

// dropControl ends control and withdraws the questions about it.
func (s *consent) dropControl() (withdrawn []uint64, hadControl bool) {
	for id, what := range s.pending {
		if what == protocol.PermControl {
			withdrawn = append(withdrawn, id)
			delete(s.pending, id)
		}
	}
	return withdrawn, s.release()
}

// mayInject reports whether the technician's input may reach this computer now.
func (s *consent) mayInject() bool { return s.controlled && s.sharing && s.seen }
