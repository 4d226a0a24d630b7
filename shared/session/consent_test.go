package session

import (
	"fmt"
	"maps"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// consentEvent is one thing that can happen to the customer's consent, with the questions it is about: the
// technician asks for control (question 1) or a look (question 2), the customer answers, time runs out, the
// screen starts or stops reaching the technician, the customer stops sharing, control is given up, the
// technician leaves.
type consentEvent struct {
	name string
	run  func(s *consent, tr *consentTrace)
}

// consentTrace follows the questions put to the customer, to check that each ends once, and only once.
type consentTrace struct {
	waiting map[uint64]protocol.Permission
}

func (tr *consentTrace) ended(t *testing.T, id uint64, how string) {
	t.Helper()
	if _, ok := tr.waiting[id]; !ok {
		t.Errorf("question %d %s, but it was not waiting", id, how)
	}
	delete(tr.waiting, id)
}

var consentEvents = func() []consentEvent {
	var evs []consentEvent
	for _, q := range []struct {
		id   uint64
		what protocol.Permission
	}{{1, protocol.PermControl}, {2, protocol.PermView}} {
		evs = append(evs,
			consentEvent{fmt.Sprintf("ask%d", q.id), func(s *consent, tr *consentTrace) {
				if s.ask(q.id, q.what, true) == askCustomer {
					tr.waiting[q.id] = q.what
				}
			}},
			consentEvent{fmt.Sprintf("yes%d", q.id), nil}, // answer: filled in by the test, which checks it
			consentEvent{fmt.Sprintf("no%d", q.id), nil},
			consentEvent{fmt.Sprintf("expire%d", q.id), nil},
		)
	}
	return append(evs,
		consentEvent{"shown", func(s *consent, _ *consentTrace) { s.shown() }},
		consentEvent{"unseen", nil},
		consentEvent{"stopSharing", nil},
		consentEvent{"release", func(s *consent, _ *consentTrace) { s.release() }},
		consentEvent{"end", nil},
	)
}()

// apply runs event e on s, checking what it reports against the questions that wait.
func apply(t *testing.T, s *consent, tr *consentTrace, e consentEvent) {
	t.Helper()
	if e.run != nil {
		e.run(s, tr)
		return
	}
	withdrawnAll := func(ids []uint64) {
		for _, id := range ids {
			tr.ended(t, id, "withdrawn")
		}
	}
	var id uint64
	switch e.name {
	case "yes1", "no1", "expire1":
		id = 1
	case "yes2", "no2", "expire2":
		id = 2
	case "unseen":
		ids, _ := s.unseen()
		withdrawnAll(ids)
		return
	case "stopSharing":
		ids, _ := s.stopSharing()
		withdrawnAll(ids)
		return
	case "end":
		ids, _ := s.end()
		withdrawnAll(ids)
		if len(tr.waiting) != 0 {
			t.Errorf("questions %v still wait after the technician left", tr.waiting)
		}
		return
	}
	if e.name[0] == 'e' {
		if s.expire(id) {
			tr.ended(t, id, "expired")
		}
		return
	}
	yes := e.name[0] == 'y'
	mayControl := s.sharing && s.seen
	what, granted, withdrawn, ok := s.answer(id, yes)
	_, waiting := tr.waiting[id]
	if ok != waiting {
		t.Errorf("answer %d: ok %v, waiting %v", id, ok, waiting)
	}
	if !ok {
		return
	}
	tr.ended(t, id, "answered")
	switch {
	case !yes && (granted || withdrawn):
		t.Errorf("a no to %d granted %v, withdrew %v", id, granted, withdrawn)
	case yes && what == protocol.PermControl && granted != mayControl:
		t.Errorf("a yes to control granted %v while sharing %v, seen %v", granted, s.sharing, s.seen)
	case yes && what == protocol.PermView && (!granted || !s.sharing):
		t.Error("a yes to a look did not share the screen")
	case granted == withdrawn && yes:
		t.Errorf("a yes is granted (%v) or withdrawn (%v), one of them", granted, withdrawn)
	}
}

// check holds after every event: control, and input, only with a shared screen that the technician sees; no
// question about control waits on a screen that does not reach them.
func check(t *testing.T, s *consent, tr *consentTrace) {
	t.Helper()
	if s.controlled && !(s.sharing && s.seen) {
		t.Errorf("control held while sharing %v, seen %v", s.sharing, s.seen)
	}
	if s.mayInject() != (s.controlled && s.sharing && s.seen) {
		t.Error("input allowed without control of a seen, shared screen")
	}
	if s.seen && !s.sharing {
		t.Error("the screen reaches the technician although the customer stopped sharing")
	}
	for id, what := range s.pending {
		if tr.waiting[id] != what {
			t.Errorf("question %d waits in the state but not in the trace", id)
		}
		if what == protocol.PermControl && !s.mayControl() {
			t.Errorf("question %d about control still waits while sharing %v, seen %v", id, s.sharing, s.seen)
		}
	}
	if len(s.pending) != len(tr.waiting) {
		t.Errorf("%d questions wait in the state, %d in the trace", len(s.pending), len(tr.waiting))
	}
}

// TestConsentInterleavings runs every order of up to five consent events (about 800 000 orders), from both
// starting points (the customer sharing or not), and checks the rules after each event.
func TestConsentInterleavings(t *testing.T) {
	const events = 5 // names also holds the starting point
	n := 0
	var names []string
	var walk func(s consent, tr consentTrace)
	walk = func(s consent, tr consentTrace) {
		if len(names) == events+1 {
			return
		}
		for _, e := range consentEvents {
			s2, tr2 := s.clone(), consentTrace{waiting: maps.Clone(tr.waiting)}
			names = append(names, e.name)
			apply(t, &s2, &tr2, e)
			if !t.Failed() {
				check(t, &s2, &tr2)
			}
			if t.Failed() {
				t.Fatalf("after %v", names)
			}
			n++
			walk(s2, tr2)
			names = names[:len(names)-1]
		}
	}
	for _, sharing := range []bool{true, false} {
		names = []string{fmt.Sprintf("sharing:%v", sharing)}
		walk(newConsent(sharing), consentTrace{waiting: map[uint64]protocol.Permission{}})
	}
	t.Logf("%d orders of events checked", n)
}

// clone copies s, its questions too.
func (s consent) clone() consent {
	s.pending = maps.Clone(s.pending)
	return s
}

// The finding of issue 19 in the state machine's words: a yes given after the customer stopped sharing does
// not grant control, and the question was withdrawn before it.
func TestConsentYesAfterStopIsNotAGrant(t *testing.T) {
	s := newConsent(true)
	s.shown()
	if s.ask(1, protocol.PermControl, true) != askCustomer {
		t.Fatal("control of a seen screen is not asked")
	}
	withdrawn, _ := s.stopSharing()
	if len(withdrawn) != 1 || withdrawn[0] != 1 {
		t.Fatalf("stopping withdrew %v, want [1]", withdrawn)
	}
	if _, granted, _, ok := s.answer(1, true); ok || granted || s.controlled || s.mayInject() {
		t.Fatal("a withdrawn question granted control")
	}
}
