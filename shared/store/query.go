package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// ErrAmbiguous is returned by ResolveID for a prefix that starts more than one session ID.
var ErrAmbiguous = errors.New("more than one session starts with that ID")

// MinPrefix is the shortest session ID prefix ResolveID accepts.
const MinPrefix = 4

const summaryColumns = `s.id, s.kind, s.computer_id, s.customer_name, s.technician_name, s.started_at, s.ended_at, s.end_code,
	(SELECT json_group_array(name) FROM
		(SELECT p.name FROM participants p WHERE p.session_id = s.id AND p.role = 2 ORDER BY p.seq)),
	max(s.started_at, coalesce(s.ended_at, 0),
		coalesce((SELECT max(e.at) FROM events e WHERE e.session_id = s.id), 0),
		coalesce((SELECT max(c.sent_at) FROM chat c WHERE c.session_id = s.id), 0),
		coalesce((SELECT max(max(t.started_at), coalesce(max(t.finished_at), 0)) FROM transfers t WHERE t.session_id = s.id), 0)),
	EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND e.kind = 'sharing_started'),
	EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND e.kind = 'control_granted'),
	EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND e.kind = 'tech_sharing_started'),
	(SELECT count(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'consent_refused'),
	(SELECT count(*) FROM chat c WHERE c.session_id = s.id),
	(SELECT count(*) FROM transfers t WHERE t.session_id = s.id AND t.direction = 'sent'),
	(SELECT count(*) FROM transfers t WHERE t.session_id = s.id AND t.direction = 'received'),
	(SELECT count(*) FROM transfers t WHERE t.session_id = s.id AND t.outcome IS NOT NULL AND t.outcome != 0),
	(SELECT coalesce(sum(t.bytes_done), 0) FROM transfers t WHERE t.session_id = s.id),
	(SELECT count(*) FROM participants p WHERE p.session_id = s.id)`

// searchClause is the condition one search word adds; every ? is the folded word.
const searchClause = `(instr(tandem_fold(s.customer_name), ?) > 0
	OR instr(tandem_fold(s.technician_name), ?) > 0
	OR substr(s.id, 1, length(?)) = ?
	OR EXISTS (SELECT 1 FROM participants p WHERE p.session_id = s.id AND instr(tandem_fold(p.name), ?) > 0)
	OR EXISTS (SELECT 1 FROM chat c WHERE c.session_id = s.id AND instr(tandem_fold(c.text), ?) > 0)
	OR EXISTS (SELECT 1 FROM transfers t WHERE t.session_id = s.id AND instr(tandem_fold(t.file_name), ?) > 0))`

// ListSessions returns the sessions for the History list, newest first, each with what the list shows (customer,
// start, duration, technicians, what happened). q.Search filters them (see Query); q.Limit and q.Offset page.
func (s *Store) ListSessions(ctx context.Context, q Query) ([]Summary, error) {
	var where []string
	var args []any
	for _, w := range strings.Fields(fold(q.Search)) {
		where = append(where, searchClause)
		for range strings.Count(searchClause, "?") {
			args = append(args, w)
		}
	}
	query := "SELECT " + summaryColumns + " FROM sessions s"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	query += " ORDER BY s.started_at DESC, s.id LIMIT ? OFFSET ?"
	args = append(args, limit, max(q.Offset, 0))

	var out []Summary
	err := s.read(ctx, "listing the session history", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			sum, err := scanSummary(rows)
			if err != nil {
				return err
			}
			out = append(out, sum)
		}
		return rows.Err()
	})
	return out, err
}

func scanSummary(rows *sql.Rows) (Summary, error) {
	var (
		sum                Summary
		id, kind, techs    string
		started, last      int64
		ended, code        sql.NullInt64
		viewed, controlled bool
		techShared         bool
		bytes              int64
	)
	if err := rows.Scan(&id, &kind, &sum.ComputerID, &sum.CustomerName, &sum.TechnicianName, &started, &ended, &code,
		&techs, &last, &viewed, &controlled, &techShared, &sum.ConsentsRefused, &sum.ChatMessages, &sum.FilesSent,
		&sum.FilesReceived, &sum.FilesFailed, &bytes, &sum.ParticipantsCount); err != nil {
		return sum, err
	}
	var err error
	if sum.ID, err = ParseID(id); err != nil {
		return sum, err
	}
	if err := json.Unmarshal([]byte(techs), &sum.Technicians); err != nil {
		return sum, fmt.Errorf("technicians of session %s: %w", id, err)
	}
	sum.Kind = Kind(kind)
	sum.Started, sum.Ended, sum.LastActivity = timeOf(started), nullTime(ended), timeOf(last)
	sum.EndCode = protocol.Code(code.Int64)
	sum.Viewed, sum.Controlled, sum.TechShared = viewed, controlled, techShared
	sum.BytesTransferred = uint64(bytes)
	return sum, nil
}

// ResolveID turns what a person typed (a whole session ID, or at least MinPrefix of its first hex digits; case,
// spaces and dashes do not matter) into the ID of a recorded session: ErrNotFound when none matches, ErrAmbiguous
// when a prefix matches several.
func (s *Store) ResolveID(ctx context.Context, text string) (protocol.SessionID, error) {
	var id protocol.SessionID
	h := normalizeHex(text)
	if len(h) < MinPrefix || len(h) > 2*len(id) || !isHex(h) {
		return id, fmt.Errorf("session ID %q: want %d to %d hex digits", text, MinPrefix, 2*len(id))
	}
	var found []string
	err := s.read(ctx, "finding session "+h, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2`, h)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				return err
			}
			found = append(found, f)
		}
		return rows.Err()
	})
	switch {
	case err != nil:
		return id, err
	case len(found) == 0:
		return id, fmt.Errorf("session %s: %w", h, ErrNotFound)
	case len(found) > 1:
		return id, fmt.Errorf("session %s: %w", h, ErrAmbiguous)
	}
	return ParseID(found[0])
}

// LoadSession returns everything recorded about one session (ErrNotFound if there is no such session), read as
// one consistent snapshot even while it is being written.
func (s *Store) LoadSession(ctx context.Context, id protocol.SessionID) (*Session, error) {
	sess := &Session{ID: id}
	sid := id.String()
	err := s.read(ctx, "loading session "+sid, func(tx *sql.Tx) error {
		if err := loadHeader(ctx, tx, sess); err != nil {
			return err
		}
		if err := loadParticipants(ctx, tx, sess); err != nil {
			return fmt.Errorf("participants: %w", err)
		}
		if err := loadEvents(ctx, tx, sess); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if err := loadChat(ctx, tx, sess); err != nil {
			return fmt.Errorf("chat: %w", err)
		}
		if err := loadTransfers(ctx, tx, sess); err != nil {
			return fmt.Errorf("transfers: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

func loadHeader(ctx context.Context, tx *sql.Tx, sess *Session) error {
	var (
		kind         string
		started, by  int64
		ended, code  sql.NullInt64
		customerName string
	)
	err := tx.QueryRowContext(ctx, `SELECT kind, computer_id, customer_name, technician_name, started_at, ended_at,
		end_code, ended_by FROM sessions WHERE id = ?`, sess.ID.String()).Scan(&kind, &sess.ComputerID, &customerName,
		&sess.TechnicianName, &started, &ended, &code, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	sess.Kind, sess.CustomerName = Kind(kind), customerName
	sess.Started, sess.Ended = timeOf(started), nullTime(ended)
	sess.EndCode = protocol.Code(code.Int64)
	sess.EndedBy = protocol.ParticipantID(by)
	return nil
}

// each runs query with the session ID and calls scan for every row.
func each(ctx context.Context, tx *sql.Tx, query string, sid string, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, sid)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func loadParticipants(ctx context.Context, tx *sql.Tx, sess *Session) error {
	return each(ctx, tx, `SELECT participant_id, name, role, joined_at, left_at FROM participants
		WHERE session_id = ? ORDER BY seq`, sess.ID.String(), func(rows *sql.Rows) error {
		var (
			p        Participant
			pid, rl  int64
			joined   int64
			leftTime sql.NullInt64
		)
		if err := rows.Scan(&pid, &p.Name, &rl, &joined, &leftTime); err != nil {
			return err
		}
		p.ID, p.Role = protocol.ParticipantID(pid), protocol.Role(rl)
		p.Joined, p.Left = timeOf(joined), nullTime(leftTime)
		sess.Participants = append(sess.Participants, p)
		return nil
	})
}

func loadEvents(ctx context.Context, tx *sql.Tx, sess *Session) error {
	return each(ctx, tx, `SELECT at, kind, actor, permission, detail FROM events WHERE session_id = ? ORDER BY seq`,
		sess.ID.String(), func(rows *sql.Rows) error {
			var (
				e               Event
				at, actor, perm int64
				kind            string
			)
			if err := rows.Scan(&at, &kind, &actor, &perm, &e.Detail); err != nil {
				return err
			}
			e.At, e.Kind = timeOf(at), EventKind(kind)
			e.Actor, e.Permission = protocol.ParticipantID(actor), protocol.Permission(perm)
			sess.Events = append(sess.Events, e)
			return nil
		})
}

func loadChat(ctx context.Context, tx *sql.Tx, sess *Session) error {
	return each(ctx, tx, `SELECT message_id, author_id, author_name, sent_at, text, delivered FROM chat
		WHERE session_id = ? ORDER BY seq`, sess.ID.String(), func(rows *sql.Rows) error {
		var (
			m                 ChatMessage
			msg, author, sent int64
		)
		if err := rows.Scan(&msg, &author, &m.AuthorName, &sent, &m.Text, &m.Delivered); err != nil {
			return err
		}
		m.ID, m.Author, m.Sent = uint64(msg), protocol.ParticipantID(author), timeOf(sent)
		sess.Chat = append(sess.Chat, m)
		return nil
	})
}

func loadTransfers(ctx context.Context, tx *sql.Tx, sess *Session) error {
	return each(ctx, tx, `SELECT transfer_id, file_index, direction, peer_id, file_name, size, sha256, outcome,
		started_at, finished_at, bytes_done FROM transfers WHERE session_id = ? ORDER BY seq`, sess.ID.String(),
		func(rows *sql.Rows) error {
			var (
				t                          Transfer
				tid, idx, peer, size, done int64
				started                    int64
				dir                        string
				outcome, finished          sql.NullInt64
			)
			if err := rows.Scan(&tid, &idx, &dir, &peer, &t.Name, &size, &t.SHA256, &outcome, &started, &finished,
				&done); err != nil {
				return err
			}
			t.ID, t.FileIndex, t.Direction, t.Peer = uint64(tid), uint32(idx), Direction(dir), protocol.ParticipantID(peer)
			t.Size, t.BytesDone = uint64(size), uint64(done)
			t.Outcome, t.Started, t.Finished = protocol.Code(outcome.Int64), timeOf(started), nullTime(finished)
			sess.Transfers = append(sess.Transfers, t)
			return nil
		})
}
