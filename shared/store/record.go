package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// StartSession records a new session. Call it once the session has its ID (when the first customer joins, or
// the technician connects to an unattended computer), before any other record about it. Calling it again for the
// same ID changes nothing, so a reconnection may call it again.
func (s *Store) StartSession(ctx context.Context, st SessionStart) error {
	if st.ID.IsZero() {
		return errors.New("starting a session record: no session ID")
	}
	kind := st.Kind
	if kind == "" {
		kind = Attended
	}
	if !kind.Known() {
		return fmt.Errorf("starting a session record: unknown kind %q", kind)
	}
	return s.write(ctx, "starting the record of session "+st.ID.String(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions
			(id, customer_name, technician_name, started_at, kind, computer_id) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			st.ID.String(), st.CustomerName, st.TechnicianName, msOf(orNow(st.Started)), string(kind), st.ComputerID)
		return err
	})
}

// SetCustomerName records the customer's name for the History list (Join of a customer sets it already when it
// is still empty; call this when the name is learnt or corrected later).
func (s *Store) SetCustomerName(ctx context.Context, id protocol.SessionID, name string) error {
	return s.write(ctx, "naming the customer of session "+id.String(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET customer_name = ? WHERE id = ?`, name, id.String())
		return mustAffect(res, err, "session "+id.String())
	})
}

// Join records that a participant joined (or re-joined after a dropped connection, keeping the first join
// time), with its joined event. The local technician is a participant too: record them when they get their ID.
// The first customer to join names the session's customer, if StartSession did not.
func (s *Store) Join(ctx context.Context, id protocol.SessionID, p Participant) error {
	if !p.Role.Known() {
		return fmt.Errorf("recording a join to session %s: unknown role %d", id, p.Role)
	}
	at := msOf(orNow(p.Joined))
	sid := id.String()
	return s.write(ctx, "recording a join to session "+sid, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO participants
			(session_id, participant_id, name, role, joined_at, seq)
			VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(seq), 0) + 1 FROM participants WHERE session_id = ?1))
			ON CONFLICT (session_id, participant_id) DO UPDATE SET name = excluded.name, role = excluded.role, left_at = NULL`,
			sid, int64(p.ID), p.Name, int64(p.Role), at); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, sid, Event{At: timeOf(at), Kind: EventJoined, Actor: p.ID, Detail: p.Name}); err != nil {
			return err
		}
		if p.Role == protocol.RoleCustomer && p.Name != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET customer_name = ? WHERE id = ? AND customer_name = ''`,
				p.Name, sid); err != nil {
				return err
			}
		}
		return nil
	})
}

// Leave records that a participant left, with its left event. A zero at means now.
func (s *Store) Leave(ctx context.Context, id protocol.SessionID, who protocol.ParticipantID, at time.Time) error {
	ms := msOf(orNow(at))
	sid := id.String()
	return s.write(ctx, "recording a departure from session "+sid, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = ? WHERE session_id = ? AND participant_id = ?`,
			ms, sid, int64(who))
		if err := mustAffect(res, err, fmt.Sprintf("participant %d", who)); err != nil {
			return err
		}
		return insertEvent(ctx, tx, sid, Event{At: timeOf(ms), Kind: EventLeft, Actor: who})
	})
}

// RecordEvent records one event: consents, control, sharing, monitor changes, the technician's own screen.
// Joins, departures and the end have their own calls (Join, Leave, EndSession), which RecordEvent refuses.
func (s *Store) RecordEvent(ctx context.Context, id protocol.SessionID, e Event) error {
	switch {
	case !e.Kind.Known():
		return fmt.Errorf("recording an event of session %s: unknown kind %q", id, e.Kind)
	case e.Kind == EventJoined || e.Kind == EventLeft || e.Kind == EventEnded:
		return fmt.Errorf("recording an event of session %s: %q is recorded by Join, Leave or EndSession", id, e.Kind)
	case e.Kind.IsConsent() && e.Permission == 0:
		return fmt.Errorf("recording an event of session %s: %q without a permission", id, e.Kind)
	}
	e.At = orNow(e.At)
	return s.write(ctx, "recording an event of session "+id.String(), func(tx *sql.Tx) error {
		return insertEvent(ctx, tx, id.String(), e)
	})
}

func insertEvent(ctx context.Context, tx *sql.Tx, sid string, e Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (session_id, at, kind, actor, permission, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, sid, msOf(e.At), string(e.Kind), int64(e.Actor), int64(e.Permission), e.Detail)
	return err
}

// RecordChat records a chat message, sent or received, when it is sent or arrives. A message recorded again
// (same author and ID) is not duplicated.
func (s *Store) RecordChat(ctx context.Context, id protocol.SessionID, m ChatMessage) error {
	return s.write(ctx, "recording a chat message of session "+id.String(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO chat
			(session_id, author_id, message_id, author_name, sent_at, text, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id, author_id, message_id) DO NOTHING`,
			id.String(), int64(m.Author), int64(m.ID), m.AuthorName, msOf(orNow(m.Sent)), m.Text, m.Delivered)
		return err
	})
}

// MarkChatDelivered records that the message of author with ID msg was acknowledged by its recipient.
func (s *Store) MarkChatDelivered(ctx context.Context, id protocol.SessionID, author protocol.ParticipantID, msg uint64) error {
	return s.write(ctx, "recording a chat delivery in session "+id.String(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chat SET delivered = 1 WHERE session_id = ? AND author_id = ? AND message_id = ?`,
			id.String(), int64(author), int64(msg))
		return mustAffect(res, err, fmt.Sprintf("chat message %d of participant %d", msg, author))
	})
}

// StartTransfer records one file of a transfer when it is offered (sent) or the offer arrives (received). Only
// the identifying fields, Peer, Name, Size and Started are used. Recording the same file again changes nothing.
func (s *Store) StartTransfer(ctx context.Context, id protocol.SessionID, t Transfer) error {
	if !t.Direction.Known() {
		return fmt.Errorf("recording a file transfer of session %s: unknown direction %q", id, t.Direction)
	}
	return s.write(ctx, "recording a file transfer of session "+id.String(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO transfers
			(session_id, transfer_id, file_index, direction, peer_id, file_name, size, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id, direction, transfer_id, file_index) DO NOTHING`,
			id.String(), int64(t.ID), int64(t.FileIndex), string(t.Direction), int64(t.Peer), t.Name, int64(t.Size),
			msOf(orNow(t.Started)))
		return err
	})
}

// TransferProgress records how many bytes of a running file transfer are done, so that a crash leaves a
// trace of how far it got. It costs a disk sync: call it every few seconds at most, not for every chunk.
func (s *Store) TransferProgress(ctx context.Context, id protocol.SessionID, dir Direction, transfer uint64, file uint32, bytesDone uint64) error {
	return s.write(ctx, "recording file transfer progress in session "+id.String(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET bytes_done = ?
			WHERE session_id = ? AND direction = ? AND transfer_id = ? AND file_index = ? AND finished_at IS NULL`,
			int64(bytesDone), id.String(), string(dir), int64(transfer), int64(file))
		return mustAffect(res, err, fmt.Sprintf("running %s transfer %d file %d", dir, transfer, file))
	})
}

// FinishTransfer records how one file of a transfer ended: complete (NoError, with its SHA-256), refused,
// cancelled, failed. The first finish recorded wins; a later one changes nothing.
func (s *Store) FinishTransfer(ctx context.Context, id protocol.SessionID, dir Direction, transfer uint64, file uint32, r TransferResult) error {
	if r.SHA256 != "" && (len(r.SHA256) != 64 || !isHex(strings.ToLower(r.SHA256))) {
		return fmt.Errorf("recording the end of a file transfer of session %s: SHA-256 %q is not 64 hex digits", id, r.SHA256)
	}
	return s.write(ctx, "recording the end of a file transfer of session "+id.String(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET finished_at = ?, outcome = ?, sha256 = ?, bytes_done = ?
			WHERE session_id = ? AND direction = ? AND transfer_id = ? AND file_index = ? AND finished_at IS NULL`,
			msOf(orNow(r.Finished)), int64(r.Outcome), strings.ToLower(r.SHA256), int64(r.BytesDone),
			id.String(), string(dir), int64(transfer), int64(file))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		// Nothing updated: already finished (fine) or never started (the caller's mistake).
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM transfers
			WHERE session_id = ? AND direction = ? AND transfer_id = ? AND file_index = ?`,
			id.String(), string(dir), int64(transfer), int64(file)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s transfer %d file %d: %w", dir, transfer, file, ErrNotFound)
		}
		return err
	})
}

// EndSession records the end of the session: its time, who ended it (0 when nobody did: the connection was lost,
// the key's session never started…) and why, with the ended event; every participant still present leaves then.
// The first end recorded wins; ending an ended session changes nothing.
func (s *Store) EndSession(ctx context.Context, id protocol.SessionID, at time.Time, by protocol.ParticipantID, code protocol.Code) error {
	ms := msOf(orNow(at))
	sid := id.String()
	return s.write(ctx, "recording the end of session "+sid, func(tx *sql.Tx) error {
		var ended sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT ended_at FROM sessions WHERE id = ?`, sid).Scan(&ended)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || ended.Valid {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_code = ?, ended_by = ? WHERE id = ?`,
			ms, int64(code), int64(by), sid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = ? WHERE session_id = ? AND left_at IS NULL`,
			ms, sid); err != nil {
			return err
		}
		return insertEvent(ctx, tx, sid, Event{At: timeOf(ms), Kind: EventEnded, Actor: by, Detail: code.String()})
	})
}

// DeleteSession removes a session and everything recorded about it.
func (s *Store) DeleteSession(ctx context.Context, id protocol.SessionID) error {
	return s.write(ctx, "deleting session "+id.String(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id.String())
		return mustAffect(res, err, "session "+id.String())
	})
}

// mustAffect turns an UPDATE or DELETE that touched no row into ErrNotFound.
func mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
