// Package transfer is Tandem's file-transfer engine: files and folders sent
// both ways over a session's QUIC connection, one stream per file, with
// progress, cancel from either side, resume after a dropped connection,
// SHA-256 integrity, safe names and atomic writes. It has no UI and does not
// know the session: the session owns one Engine per connection, hands it
// the File streams the peer opens, calls its actions and forwards its
// events.
//
// # Wire flow
//
// Every stream of a transfer is opened by the sender, with a File stream
// header carrying the transfer ID (chosen by the sender, unique per
// connection) and a file index. The first, index 0, is the transfer's
// control stream; each file then has a data stream of its own, file 0's
// included (its header also says index 0: the receiver tells them apart
// because the control stream is the one that opens an unknown transfer).
//
//	control stream (T, 0)
//	  S → R  FileOffer{T, files: index, name, size, mtime}
//	  R → S  FileAnswer{T, Accept, ResumeOffsets}          the person chose a folder, or declined
//	  either FileCancel{code, All}                         at any time: cancel the whole transfer
//	  S: end of stream                                     once S has every verdict it waits for
//	  R: end of stream                                     once every file has its outcome
//
//	data stream (T, i), one per file, in order, after an acceptance
//	  S → R  FileChunk{offset, data}…                      from the resume offset, in order, no gap
//	  S → R  FileDone{SHA-256 of the whole file}, end      or FileCancel{code}, end, to give up
//	  R → S  FileDone{SHA-256} or FileCancel{code}, end    the verdict, exactly one per stream
//
// The receiver writes the chunks to a partial file beside the target,
// hashing them (and, when resuming, what the partial file already held); on
// FileDone it compares the hashes and gives the file its final name before
// it answers FileDone. Anything else ends the file with a FileCancel
// verdict carrying the code (IntegrityFailed, DiskFull, WriteFailed,
// ProtocolViolation, Cancelled, …), after which the receiver stops reading
// the stream. A sender that cannot read a file, or whose person cancels it,
// sends FileCancel with the code instead of more chunks; the receiver
// answers with the same code.
//
// The sender sends one file at a time but does not wait for a verdict before
// starting the next file (at most 8 files wait for theirs). Control streams
// keep the urgency transport.Urgency gives File streams (6, below every
// other kind; quic-go follows RFC 9218, 0 is sent first) and data streams
// get 7, so files go after everything else on the connection and a cancel
// goes ahead of file data.
//
// # Agreement
//
// Both sides report the same outcome for every file, and hence the same
// Finished event:
//
//   - a file whose data stream the sender opened ends as the receiver's
//     verdict says (the sender waits for it);
//   - after a cancel of the whole transfer with code c (FileCancel{c, All}
//     on the control stream, from either side) the sender opens no more data
//     streams, and every file whose stream was never opened ends with c on
//     both sides; a data stream that crosses the cancel is answered with c;
//   - a declined offer ends every file with Refused.
//
// The one disagreement left is the connection dying while a verdict is on
// its way: the receiver may have kept a file that the sender reports as
// ConnectionLost. Finished.Err is the code of the first failed file in offer
// order, so it is the same on both sides too.
//
// # Names and folders
//
// Names are relative slash paths as the sender saw them (folders expand to
// "Folder/sub/file"). The receiver makes each one safe with SanitizeName,
// then places it under the chosen folder through an os.Root, so nothing can
// climb out of it: existing folders are reused whatever their Unicode
// normalisation or case, a file or link in the way of a folder turns it
// into "name (1)", and a file whose name is taken (on disk, by an earlier
// file of the offer, or by another transfer in progress, comparing names
// without regard to normalisation and case) becomes "name (1).ext",
// "name (2).ext"…; links are never followed to a target. The final name is
// taken by a hard link from the partial file, which fails rather than
// replace a file that appeared meanwhile (then the next number is tried);
// where hard links are not supported, by a check then a rename.
//
// # Partial files and resume
//
// A file is received into ".name.<id>.tandem-partial" beside its target,
// where <id> is derived from the offered name, size and modification time.
// It is deleted when the file fails for any reason but an interruption
// (connection lost, session ended), and then kept: a later offer of the same
// file (same name, size and time) into the same folder finds it, and the
// answer asks the sender to start where it stops. The receiver hashes the
// bytes it holds before it appends the rest; if they were damaged meanwhile
// the final hash differs and the file ends with IntegrityFailed. The
// partial file of a file cancelled by a person is deleted at once. A kept
// partial file that nothing has written for PartialMaxAge (a week) is
// deleted the next time a transfer is received into its folder. Only a
// regular file with a single name, owned by the user, is resumed: a link,
// a file with another name (a hard link planted to a file outside the
// folder) or another user's file is replaced by a new partial file, and the
// same is checked again on the open file (on Windows, where only the open
// file tells its links, such a file fails with WriteFailed), so that what
// the name leads to is never written.
// Each file is synced to the disk before it takes its final name.
//
// # Errors and limits
//
// Every failure reaches the events as a *protocol.Error whose Code the UI
// translates. Free space is checked before accepting (Accept fails with
// DiskFull and the offer stays open for another folder). A full disk
// (DiskFull), a folder that may not be written or a disk error
// (WriteFailed), a file that cannot be read or changed since it was offered
// (ReadFailed) end that file on both sides and leave nothing under its
// final name; the engine and the connection go on. A peer that lies (more
// bytes than offered, a chunk past the end or out of order, FileDone too
// early, a wrong hash, streams of unknown or unaccepted transfers or files)
// loses that file or that stream and nothing else. Memory is bounded by the
// protocol's limits: a few chunk buffers per file in progress, 16 offers
// waiting for an answer, 4096 files per offer.
//
// Config.FreeSpace, Config.WrapWrite and Config.WrapRead are test seams:
// tests use them for a small disk, a disk that fills up, a folder that may
// not be written, and read errors.
package transfer
