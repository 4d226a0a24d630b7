package session

import (
	"context"
	"log"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
)

// File transfer runs one shared/transfer engine per connection on each side. A transfer that a dropped
// connection interrupts resumes by itself once the connection is back: the sender offers again the files that
// did not arrive, and the receiver takes such an offer into the folder it had chosen, where the engine finds the
// partial files and continues from where they stop. Only the same files resume without a question: same names,
// sizes and modification times (and the engine checks the whole file's hash, the part already held included).
// A re-offer of the same names that differs in anything else is asked again, and the partial files of the
// interrupted transfer, which can no longer be resumed, are deleted.

// offerTimeout bounds the opening of an offer's stream.
const offerTimeout = 30 * time.Second

// FileTransfer passes on an event of the file-transfer engine: offers, answers, progress, each file's outcome
// and the end of a transfer (transfer.OfferSent, OfferReceived, Answered, Progress, FileCompleted, FileFailed,
// Finished). Names in them are safe to display as plain text. Resumed marks an OfferReceived that the session
// accepted by itself: the rest of a transfer that a dropped connection interrupted, into the same folder (no
// question to ask).
//
// On the customer's side, Tech says which technician the transfer is with (TechnicianID for the one who started
// the session), and a colleague's transfer IDs carry the colleague's participant ID in their top bits (see
// Guest.FilesWith); on a technician's side Tech is zero.
type FileTransfer struct {
	Event   transfer.Event
	Resumed bool
	Tech    protocol.ParticipantID
}

func (FileTransfer) isEvent() {}

// Files are the file-transfer actions of a session side, on its current connection(s).
type Files struct {
	tech   protocol.ParticipantID                                      // whom Send offers to (customer's side)
	engine func(tech protocol.ParticipantID) (*transfer.Engine, error) // the engine of the connection with tech
}

// Send offers files and folders (a folder's files go with their paths under it) to the other side, which
// accepts into a folder of its choice or declines.
func (f Files) Send(paths ...string) (transfer.ID, error) {
	e, err := f.engine(f.tech)
	if err != nil {
		return transfer.ID{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), offerTimeout)
	defer cancel()
	id, err := e.Offer(ctx, paths...)
	return tagID(id, f.tech), err
}

// transferOf returns the engine a transfer ID belongs to and the ID within it.
func (f Files) transferOf(id transfer.ID) (*transfer.Engine, transfer.ID, error) {
	tech, n := questionOf(id.N) // the same split as questions' IDs
	if tech == 0 {
		tech = TechnicianID
	}
	e, err := f.engine(tech)
	return e, transfer.ID{Dir: id.Dir, N: n}, err
}

// tagID marks a colleague's transfer ID with their participant ID; the owner's (and a technician's) stay as
// the engine numbers them.
func tagID(id transfer.ID, tech protocol.ParticipantID) transfer.ID {
	if tech == 0 || tech == TechnicianID {
		return id
	}
	id.N |= uint64(tech) << questionBits
	return id
}

// tagEvent marks the transfer ID an engine event carries, as tagID.
func tagEvent(te transfer.Event, tech protocol.ParticipantID) transfer.Event {
	if tech == 0 || tech == TechnicianID {
		return te
	}
	switch e := te.(type) {
	case transfer.OfferSent:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.OfferReceived:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.Answered:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.Progress:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.FileCompleted:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.FileFailed:
		e.ID = tagID(e.ID, tech)
		return e
	case transfer.Finished:
		e.ID = tagID(e.ID, tech)
		return e
	}
	return te
}

// Accept takes an offer into dir. It fails with DiskFull when dir has not room enough (the offer stays open
// for another folder).
func (f Files) Accept(id transfer.ID, dir string) error {
	e, id, err := f.transferOf(id)
	if err != nil {
		return err
	}
	return e.Accept(id, dir)
}

// Decline refuses an offer.
func (f Files) Decline(id transfer.ID) error {
	e, id, err := f.transferOf(id)
	if err != nil {
		return err
	}
	return e.Decline(id)
}

// Cancel stops a transfer, either way and at any stage; both sides are told.
func (f Files) Cancel(id transfer.ID) error {
	e, id, err := f.transferOf(id)
	if err != nil {
		return err
	}
	return e.Cancel(id)
}

// CancelFile stops one file of a transfer; the others go on.
func (f Files) CancelFile(id transfer.ID, index int) error {
	e, id, err := f.transferOf(id)
	if err != nil {
		return err
	}
	return e.CancelFile(id, index)
}

// Space returns the bytes an offer needs and those free in dir, for a folder picker.
func (f Files) Space(id transfer.ID, dir string) (need, free uint64, err error) {
	e, id, err := f.transferOf(id)
	if err != nil {
		return 0, 0, err
	}
	return e.Space(id, dir)
}

// filesMemory is what a session side remembers of its transfers across reconnections.
type filesMemory struct {
	mu     sync.Mutex
	dirs   map[transfer.ID]string   // the folder each incoming transfer of this connection was accepted into
	resend [][]string               // the source files of interrupted outgoing transfers that did not arrive
	into   map[string]interruptedIn // the undelivered files of an interrupted incoming transfer (filesKey) → where
}

// interruptedIn is an interrupted incoming transfer, waiting for the sender's re-offer.
type interruptedIn struct {
	dir      string   // the folder it was accepted into
	names    string   // namesKey of its files: a re-offer of these names that is not the same files replaces it
	partials []string // the partial files kept for it
}

func newFilesMemory() *filesMemory {
	return &filesMemory{dirs: map[transfer.ID]string{}, into: map[string]interruptedIn{}}
}

// interrupted reports whether a transfer ended because the connection went away (it may come back).
func interrupted(err error) bool {
	c := protocol.CodeOf(err)
	return c == protocol.ConnectionLost || c == protocol.SessionEnded
}

// filesKey names a set of files by their names, sizes and modification times, in any order: an offer with the
// same key is of the same files.
func filesKey(files []transfer.File) string {
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = f.Name + "\x00" + strconv.FormatUint(f.Size, 10) + "\x00" + strconv.FormatInt(f.ModTime, 10)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}

// namesKey names a set of files by their names only, in any order.
func namesKey(files []transfer.File) string {
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = f.Name
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x00")
}

// offered takes an incoming offer: it returns the folder to accept it into when it is the rest of an
// interrupted transfer, and deletes the partial files of an interrupted transfer that the offer replaces (the
// same names, other files).
func (m *filesMemory) offered(files []transfer.File) (dir string, resumes bool) {
	m.mu.Lock()
	in, resumes := m.into[filesKey(files)]
	delete(m.into, filesKey(files))
	var stale []interruptedIn
	if !resumes {
		names := namesKey(files)
		for k, old := range m.into {
			if old.names == names {
				stale = append(stale, old)
				delete(m.into, k)
			}
		}
	}
	m.mu.Unlock()
	for _, old := range stale {
		if err := transfer.RemovePartials(old.dir, old.partials...); err != nil {
			log.Printf("session: removing the partial files of a changed transfer: %v", err)
		}
	}
	return in.dir, resumes
}

// newFiles starts the engine of one connection; its events go to ev, and what it interrupts is remembered in
// mem so that resume can take it up on the next connection.
func newFiles(l *link, ev *events, mem *filesMemory, dir string, tech protocol.ParticipantID) *transfer.Engine {
	var e *transfer.Engine
	e = transfer.New(l.conn, transfer.Config{DefaultDir: dir, OnEvent: func(te transfer.Event) {
		switch te := te.(type) {
		case transfer.Answered:
			if te.ID.Dir == transfer.Incoming && te.Accepted {
				mem.mu.Lock()
				mem.dirs[te.ID] = te.Dir
				mem.mu.Unlock()
			}
		case transfer.OfferReceived:
			dir, resumes := mem.offered(te.Files)
			ev.send(FileTransfer{Event: tagEvent(te, tech), Resumed: resumes, Tech: tech})
			if resumes { // the rest of a transfer the connection cut: where it was going before
				_ = e.Accept(te.ID, dir)
			}
			return
		case transfer.Finished:
			mem.remember(te)
		}
		ev.send(FileTransfer{Event: tagEvent(te, tech), Tech: tech})
	}})
	return e
}

// remember notes an interrupted transfer's undelivered files.
func (m *filesMemory) remember(f transfer.Finished) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, accepted := m.dirs[f.ID]
	delete(m.dirs, f.ID)
	if !interrupted(f.Err) {
		return
	}
	var paths, partials []string
	var files []transfer.File
	sure := true // every file is known by its modification time: a re-offer can be told to be the same
	for _, r := range f.Results {
		if r.Err == nil || !interrupted(r.Err) {
			continue // arrived, or failed for a reason of its own
		}
		files = append(files, r.File)
		sure = sure && r.File.ModTime != 0
		if r.Partial != "" {
			partials = append(partials, r.Partial)
		}
		if !strings.Contains(r.File.Name, "/") && r.Path != "" {
			paths = append(paths, r.Path) // a file inside a sent folder is not offered again on its own
		}
	}
	switch {
	case f.ID.Dir == transfer.Outgoing && len(paths) > 0:
		m.resend = append(m.resend, paths)
	case f.ID.Dir == transfer.Incoming && accepted && len(files) > 0 && sure:
		m.into[filesKey(files)] = interruptedIn{dir: dir, names: namesKey(files), partials: partials}
	}
}

// resume offers again, on the new connection's engine, what the last one did not deliver.
func (m *filesMemory) resume(e *transfer.Engine) {
	m.mu.Lock()
	resend := m.resend
	m.resend = nil
	m.mu.Unlock()
	for _, paths := range resend {
		ctx, cancel := context.WithTimeout(context.Background(), offerTimeout)
		_, _ = e.Offer(ctx, paths...) // a file gone meanwhile fails the offer: nothing to resume
		cancel()
	}
}
