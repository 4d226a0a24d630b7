package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/report"
	"github.com/tandem-remote/tandem/shared/store"
)

// reportCommand is `tandem-expert report [-lang en|fr] [-o FILE] SESSION-ID`: it writes a past session's report
// from the history (HTML or JSON by the file's extension; default tandem-session-….html here) and returns the
// exit status. open opens the history (store.OpenDefault; tests give another).
func reportCommand(args []string, stdout, stderr io.Writer, open func(context.Context) (*store.Store, error)) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "the file to write (.html or .json)")
	language := fs.String("lang", "", "the report's language: en or fr (default: the system's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := i18n.Register(*language); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, lang.L("cli.report_usage"))
		return 2
	}
	ctx := context.Background()
	st, err := open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, lang.L("cli.report_failed", map[string]any{"Reason": cliReason(err)}))
		return 1
	}
	defer func() { _ = st.Close() }()
	path := *out
	if path == "" {
		id, err := st.ResolveID(ctx, fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, lang.L("cli.report_failed", map[string]any{"Reason": cliReason(err)}))
			return 1
		}
		s, err := st.LoadSession(ctx, id)
		if err != nil {
			fmt.Fprintln(stderr, lang.L("cli.report_failed", map[string]any{"Reason": cliReason(err)}))
			return 1
		}
		path = report.FileName(id, s.Started, report.HTML)
	}
	if err := report.WriteFile(ctx, st, fs.Arg(0), path, lang.L("viewer.report_lang")); err != nil {
		fmt.Fprintln(stderr, lang.L("cli.report_failed", map[string]any{"Reason": cliReason(err)}))
		return 1
	}
	fmt.Fprintln(stdout, lang.L("cli.report_saved", map[string]any{"Path": path}))
	return 0
}

// cliReason says in words why a report could not be made.
func cliReason(err error) string {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return lang.L("cli.no_such_session")
	case errors.Is(err, store.ErrAmbiguous):
		return lang.L("cli.ambiguous_session")
	case errors.Is(err, store.ErrTooNew):
		return lang.L("cli.history_too_new")
	}
	return err.Error()
}
