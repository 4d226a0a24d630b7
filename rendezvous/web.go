package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandem-remote/tandem/shared/joinpage"
	"github.com/tandem-remote/tandem/shared/rendezvous"
)

// web is the join page's listener: HTTPS with the rendezvous's certificate, plain HTTP on loopback (or with
// -insecure) without one.
type web struct {
	ln  net.Listener
	url string // the page's address, as technicians' invitations name it
	srv *http.Server
	log *slog.Logger
}

// listenWeb opens the page's listener before the rendezvous starts, so that the page's address (with the port
// actually bound) goes into the rendezvous's configuration.
func (f *flags) listenWeb(cfg rendezvous.Config, host string) (*web, error) {
	if f.web == "" {
		if f.releases != "" || f.pageURL != "" {
			return nil, errors.New("-releases and -page-url need -web ADDR (the join page's listener)")
		}
		return nil, nil
	}
	if cfg.TLS == nil && !rendezvous.IsLoopback(f.web) && !f.insecure {
		return nil, fmt.Errorf("-web %s listens beyond loopback without a certificate: support keys would cross "+
			"the network in clear text. Give -cert and -key, or -insecure to accept that", f.web)
	}
	ln, err := net.Listen("tcp", f.web)
	if err != nil {
		return nil, fmt.Errorf("-web: %w", err)
	}
	w := &web{ln: ln, url: f.pageURL, log: cfg.Log}
	if w.url == "" {
		scheme := "https"
		if cfg.TLS == nil {
			scheme = "http"
		}
		port := ln.Addr().(*net.TCPAddr).Port
		h := host
		if h == "" {
			h, _, _ = net.SplitHostPort(ln.Addr().String())
		}
		w.url = scheme + "://" + net.JoinHostPort(h, strconv.Itoa(port)) + "/"
		if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) {
			w.url = scheme + "://" + hostForURL(h) + "/"
		}
	} else if u, err := url.Parse(w.url); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		_ = ln.Close()
		return nil, fmt.Errorf("-page-url %q: want the page's public address, e.g. https://help.example.org/", f.pageURL)
	}
	if cfg.TLS != nil {
		w.ln = tls.NewListener(ln, cfg.TLS.Clone())
	}
	return w, nil
}

func hostForURL(h string) string {
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}

// serve serves the page once the rendezvous runs; the page hands out files stamped with rv.
func (w *web) serve(srv *rendezvous.Server, releases, rv string) error {
	page, err := joinpage.New(joinpage.Config{Releases: releases, Rendezvous: rv, Waiting: srv.NameplateWaiting, Log: w.log})
	if err != nil {
		return err
	}
	w.srv = &http.Server{Handler: page, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: time.Minute, ErrorLog: slog.NewLogLogger(w.log.Handler(), slog.LevelDebug)}
	go func() {
		if err := w.srv.Serve(w.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("join page stopped", "err", err)
		}
	}()
	return nil
}

// close stops the page, letting downloads under way finish for a few seconds.
func (w *web) close() {
	if w.srv == nil {
		_ = w.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		_ = w.srv.Close()
	}
}
