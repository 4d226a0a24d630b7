package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Computer is a computer the technician reaches through unattended access.
type Computer struct {
	// ID is the computer ID (its agent's certificate fingerprint, as transport.ID.String writes it), pinned
	// when it was saved.
	ID string
	// Name is what the technician calls it (at first, the name the computer gave).
	Name string
	// Owner is the customer who set unattended access up.
	Owner string
	// Addr is where its agent listens on the network (host:port).
	Addr string
	// Rendezvous is the URL of the rendezvous where the computer is present, through which it is reached from
	// anywhere; empty for a computer set up over a direct link (reached at Addr).
	Rendezvous string
	// Secret is the password stretched for this computer: what proves the password, never the password.
	Secret []byte
	Added  time.Time
	// LastSeen is when the technician last reached it (zero: never since it was saved).
	LastSeen time.Time
	// State is the last thing the computer answered that the list shows: "" (nothing to say), or the name of a
	// protocol.Code (blocked, password changed, not allowed, locked, identity changed).
	State string
}

// SaveComputer saves c, replacing the computer with the same ID (set up again: new address, secret and owner;
// the technician's name for it stays).
func (s *Store) SaveComputer(ctx context.Context, c Computer) error {
	if c.ID == "" || len(c.Secret) != 32 || (c.Addr == "" && c.Rendezvous == "") {
		return errors.New("saving a computer: it needs an ID, a 32-byte secret and an address or a rendezvous")
	}
	return s.write(ctx, "saving computer "+c.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO computers (id, name, owner, addr, rendezvous, secret, added_at, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, '')
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, addr = excluded.addr,
				rendezvous = excluded.rendezvous, secret = excluded.secret, state = ''`,
			c.ID, c.Name, c.Owner, c.Addr, c.Rendezvous, c.Secret, msOf(orNow(c.Added)))
		return err
	})
}

// Computers lists the saved computers, by name.
func (s *Store) Computers(ctx context.Context) ([]Computer, error) {
	var out []Computer
	err := s.read(ctx, "listing computers", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, owner, addr, rendezvous, secret, added_at, last_seen, state
			FROM computers ORDER BY name COLLATE NOCASE, id`)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var c Computer
			var added int64
			var seen sql.NullInt64
			if err := rows.Scan(&c.ID, &c.Name, &c.Owner, &c.Addr, &c.Rendezvous, &c.Secret, &added, &seen, &c.State); err != nil {
				return err
			}
			c.Added = timeOf(added)
			if seen.Valid {
				c.LastSeen = timeOf(seen.Int64)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Computer returns the saved computer id, or ErrNotFound.
func (s *Store) Computer(ctx context.Context, id string) (Computer, error) {
	cs, err := s.Computers(ctx)
	if err != nil {
		return Computer{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return Computer{}, ErrNotFound
}

// RenameComputer changes what the technician calls computer id.
func (s *Store) RenameComputer(ctx context.Context, id, name string) error {
	return s.updateComputer(ctx, id, "renaming", `UPDATE computers SET name = ? WHERE id = ?`, name, id)
}

// SetComputerSecret replaces the secret of computer id (the customer changed the password and said the new one).
func (s *Store) SetComputerSecret(ctx context.Context, id string, secret []byte) error {
	if len(secret) != 32 {
		return errors.New("a computer's secret has 32 bytes")
	}
	return s.updateComputer(ctx, id, "changing the password of", `UPDATE computers SET secret = ?, state = '' WHERE id = ?`,
		secret, id)
}

// ComputerSeen records what computer id answered the last time: reached at at (state ""), or refused with state.
func (s *Store) ComputerSeen(ctx context.Context, id string, at time.Time, state string) error {
	if state == "" {
		return s.updateComputer(ctx, id, "recording a visit to", `UPDATE computers SET last_seen = ?, state = '' WHERE id = ?`,
			msOf(orNow(at)), id)
	}
	return s.updateComputer(ctx, id, "recording the state of", `UPDATE computers SET state = ? WHERE id = ?`, state, id)
}

// RemoveComputer forgets computer id, its secret with it.
func (s *Store) RemoveComputer(ctx context.Context, id string) error {
	return s.updateComputer(ctx, id, "removing", `DELETE FROM computers WHERE id = ?`, id)
}

func (s *Store) updateComputer(ctx context.Context, id, what, query string, args ...any) error {
	return s.write(ctx, what+" computer "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		return mustAffect(res, err, "computer "+id)
	})
}
