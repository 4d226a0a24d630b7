package transfer

import (
	"strconv"
	"time"
)

// Direction says which way a transfer goes, seen from this side.
type Direction uint8

// The directions.
const (
	Outgoing Direction = 1 // this side sends
	Incoming Direction = 2 // this side receives
)

// String returns "outgoing" or "incoming".
func (d Direction) String() string {
	switch d {
	case Outgoing:
		return "outgoing"
	case Incoming:
		return "incoming"
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// ID names a transfer within one Engine. Transfer numbers are chosen by the
// sending side, so an outgoing and an incoming transfer may share N: the
// direction tells them apart.
type ID struct {
	Dir Direction
	N   uint64 // the wire transfer ID (protocol.FileOffer.TransferID)
}

// String returns e.g. "out-3" or "in-7".
func (id ID) String() string {
	p := "out-"
	if id.Dir == Incoming {
		p = "in-"
	}
	return p + strconv.FormatUint(id.N, 10)
}

// File describes one file of a transfer.
type File struct {
	// Index is the file's position in the offer (protocol.FileInfo.Index).
	Index int
	// Name is a relative slash path. On the sending side, the name offered;
	// on the receiving side, the name once made safe (SanitizeName), which
	// is what the file is saved as, unless a file of that name exists
	// already ("name (1).ext" then). It is safe to display.
	Name string
	// Size is the file's length in bytes.
	Size uint64
	// ModTime is the file's modification time on the sender, in Unix nanoseconds (0 when the sender did not
	// say). With the name and size it tells whether an offer is of the same file as an earlier one.
	ModTime int64
}

// Result is the outcome of one file, the same on both sides (see the
// package documentation for the one exception, a connection lost while the
// receiver's verdict was on its way).
type Result struct {
	File File
	// Path is where the file is: on the receiving side, the full path of
	// the saved file; on the sending side, the source file. Empty when it
	// failed on the receiving side.
	Path string
	// SHA256 is the hex SHA-256 of the whole file when it arrived intact.
	SHA256 string
	// Partial is, on the receiving side of a file that did not arrive, the full path of the partial file kept
	// so that a later offer of the same file resumes it (empty when none is kept). RemovePartials deletes it
	// when that will not happen.
	Partial string
	// Err is nil when the file arrived intact, else a *protocol.Error whose
	// Code says why not (Cancelled, Refused, DiskFull, IntegrityFailed,
	// ReadFailed, WriteFailed, ProtocolViolation, ConnectionLost, …).
	Err error
}

// Event is something the Engine tells its owner through Config.OnEvent:
// one of OfferSent, OfferReceived, Answered, Progress, FileCompleted,
// FileFailed and Finished.
type Event interface {
	// Transfer returns the transfer the event is about.
	Transfer() ID
	isEvent()
}

// OfferSent: this side offered files (Engine.Offer); the peer has not
// answered yet.
type OfferSent struct {
	ID    ID
	Files []File
	Total uint64 // sum of the sizes
}

// OfferReceived: the peer offers files. The owner asks the person, then
// calls Engine.Accept with a folder or Engine.Decline.
type OfferReceived struct {
	ID    ID
	Files []File
	Total uint64 // bytes needed to receive everything
	// Dir is the folder whose free space is reported (Config.DefaultDir);
	// empty when none was configured.
	Dir string
	// Free is the space available in Dir, valid when FreeKnown.
	Free      uint64
	FreeKnown bool
	// Enough is false when Dir is known not to have room for Total bytes.
	Enough bool
}

// Answered: the offer was accepted or declined, on both sides. On the
// receiving side Dir is the chosen folder.
type Answered struct {
	ID       ID
	Accepted bool
	Dir      string
	// Resumed is the number of bytes the receiver already held from an
	// earlier, interrupted transfer of the same files: they are not sent
	// again.
	Resumed uint64
}

// Progress reports bytes moving. On the sending side bytes count when they
// are handed to the connection, on the receiving side when they are written
// to disk. Events of one transfer come at most every
// Config.ProgressInterval, and once at the end of each file.
type Progress struct {
	ID ID
	// File is the file being moved, and FileDone/FileSize its bytes.
	File     int
	FileDone uint64
	FileSize uint64
	// Done/Total are the bytes of the whole transfer, resumed bytes
	// included.
	Done  uint64
	Total uint64
	// Rate is the recent speed in bytes per second (0 until measured).
	Rate float64
	// FileLeft and Left estimate the time until the file and the transfer
	// are done at Rate; negative when unknown.
	FileLeft time.Duration
	Left     time.Duration
}

// FileCompleted: a file arrived intact and has its final name.
type FileCompleted struct {
	ID     ID
	Result Result
}

// FileFailed: a file did not arrive (Result.Err says why); on the
// receiving side nothing of it is left under its final name.
type FileFailed struct {
	ID     ID
	Result Result
}

// Finished: the transfer is over, the last event about it. Err is nil
// when every file arrived; else it is the *protocol.Error of the first
// failed file in offer order, so both sides report the same (Refused when
// the offer was declined, Cancelled when a person cancelled).
type Finished struct {
	ID        ID
	Err       error
	Completed int
	Failed    int
	Results   []Result // one per file, in offer order
}

// Transfer implements Event.
func (e OfferSent) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e OfferReceived) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e Answered) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e Progress) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e FileCompleted) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e FileFailed) Transfer() ID { return e.ID }

// Transfer implements Event.
func (e Finished) Transfer() ID { return e.ID }

func (OfferSent) isEvent()     {}
func (OfferReceived) isEvent() {}
func (Answered) isEvent()      {}
func (Progress) isEvent()      {}
func (FileCompleted) isEvent() {}
func (FileFailed) isEvent()    {}
func (Finished) isEvent()      {}
