package ui

func keepAboveX11(uintptr, bool) error { return ErrAboveUnsupported }
