package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// A path is a datagram conduit to one peer that the caller found for the transport, such as an ICE pair
// through NATs or a TURN relay (package icepath): QUIC runs over it through its net.PacketConn, exactly as over
// a socket of its own. One path carries one connection: the transport closes the path when that connection
// ends, when its confirmation fails, or when nobody connects over it in time.

// pathAcceptTimeout bounds how long ServePath waits for the dialer's connection over a fresh path.
const pathAcceptTimeout = 30 * time.Second

// PathContext encodes what both sides know of a path that a rendezvous helped set up (the nameplate, the
// mailbox, both ICE user fragments...), for DialConfig.PathContext and ServePath. The key confirmation binds
// it, so a rendezvous that tells the two sides different things makes the confirmation fail. Each field is
// length-prefixed, so no two different lists give the same bytes.
func PathContext(fields ...string) []byte {
	b := []byte("tandem-path-v1")
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// ServePath accepts one connection over pc and confirms it like those on the listener's own socket, with path
// (from PathContext) bound into the confirmation; a confirmed connection comes out of Accept. It takes pc over:
// pc is closed once the connection ends, when the confirmation fails, when nobody connects within 30 s, or when
// the listener closes first. source names who is behind the path for the gate's limits on attempts (see
// SourceOf); empty counts the path's remote address.
func (l *Listener) ServePath(pc net.PacketConn, path []byte, source string) error {
	sock := shield(pc) // closing it closes the path
	tr := &quic.Transport{Conn: sock}
	ql, err := tr.Listen(tlsConfig(l.id), quicConfig(l.idle))
	if err != nil {
		closePath(tr, sock)
		return fmt.Errorf("serving QUIC over a path: %w", err)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		ctx, cancel := context.WithTimeout(l.ctx, pathAcceptTimeout)
		qc, err := ql.Accept(ctx)
		cancel()
		_ = ql.Close() // one connection per path; an accepted connection outlives its listener
		if err != nil {
			closePath(tr, sock)
			return
		}
		from := qc.RemoteAddr()
		if source != "" {
			from = sourceAddr(source)
		}
		c, err := l.confirm(qc, path, from)
		if err != nil {
			closeWith(qc, err)
			closePath(tr, sock)
			if l.onFail != nil {
				l.onFail(Attempt{Remote: qc.RemoteAddr(), Err: err})
			}
			return
		}
		c.path, c.pathClosed = pc, closeAfter(qc, tr, sock)
		select {
		case l.conns <- c:
		case <-l.ctx.Done():
			_ = c.Close(protocol.SessionEnded, "host stopped listening")
		}
	}()
	return nil
}

// DialPath connects over pc to the listener that serves the other end of the path (ServePath), whose address
// as pc knows it is remote, and confirms cfg.Secret with cfg.PathContext bound in. It takes pc over: pc is
// closed when the connection ends or when DialPath fails.
func DialPath(ctx context.Context, pc net.PacketConn, remote net.Addr, cfg DialConfig) (*Conn, error) {
	if cfg.Identity == nil {
		_ = pc.Close()
		return nil, errors.New("transport: DialPath needs an identity")
	}
	sock := shield(pc) // closing it closes the path
	tr := &quic.Transport{Conn: sock}
	qc, err := tr.Dial(ctx, remote, tlsConfig(cfg.Identity), quicConfig(cfg.IdleTimeout))
	if err != nil {
		closePath(tr, sock)
		return nil, &protocol.Error{Code: protocol.Unreachable, Detail: fmt.Sprintf("connecting over the path to %s: %v", remote, err)}
	}
	c, err := dialConfirm(ctx, qc, cfg)
	if err != nil {
		closeWith(qc, err)
		closePath(tr, sock)
		return nil, err
	}
	c.path, c.pathClosed = pc, closeAfter(qc, tr, sock)
	return c, nil
}

// pathLinger is how long a path outlives its connection, so that the connection's close reaches the peer (quic-go
// queues it as the connection's context ends) instead of the peer waiting out its idle timeout.
const pathLinger = 200 * time.Millisecond

// closeAfter closes the path pathLinger after qc ends; the channel it returns is closed once the path is.
func closeAfter(qc *quic.Conn, tr *quic.Transport, pc net.PacketConn) <-chan struct{} {
	closed := make(chan struct{})
	context.AfterFunc(qc.Context(), func() {
		time.AfterFunc(pathLinger, func() {
			closePath(tr, pc)
			close(closed)
		})
	})
	return closed
}

// closePath stops QUIC on a path and closes the path (quic-go leaves a Transport's Conn open).
func closePath(tr *quic.Transport, pc net.PacketConn) {
	_ = tr.Close()
	_ = pc.Close()
}
