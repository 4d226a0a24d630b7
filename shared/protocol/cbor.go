package protocol

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// The CBOR modes used for every structured body. Encoding is Core
// Deterministic (RFC 8949 §4.2: shortest integers and lengths, sorted map
// keys, no indefinite lengths) and without tags. Decoding refuses duplicate
// map keys, indefinite lengths, tags and invalid UTF-8, and bounds nesting,
// array elements and map pairs; unknown map keys are ignored so that a newer
// peer may add fields.
var (
	encMode = mustEncMode()
	decMode = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	opts := cbor.CoreDetEncOptions()
	opts.IndefLength = cbor.IndefLengthForbidden
	opts.TagsMd = cbor.TagsForbidden
	opts.NilContainers = cbor.NilContainerAsNull
	opts.OmitEmpty = cbor.OmitEmptyCBORValue
	em, err := opts.EncMode()
	if err != nil {
		panic("protocol: bad CBOR encoding options: " + err.Error())
	}
	return em
}

func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:          cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:    maxCBORNesting,
		MaxArrayElements:   maxCBORElements,
		MaxMapPairs:        maxCBORElements,
		IndefLength:        cbor.IndefLengthForbidden,
		TagsMd:             cbor.TagsForbidden,
		UTF8:               cbor.UTF8RejectInvalid,
		FieldNameMatching:  cbor.FieldNameMatchingCaseSensitive,
		ByteStringToString: cbor.ByteStringToStringForbidden,
		BinaryUnmarshaler:  cbor.BinaryUnmarshalerByteString,
	}.DecMode()
	if err != nil {
		panic("protocol: bad CBOR decoding options: " + err.Error())
	}
	return dm
}

// cborMajorMap is the CBOR major type of maps (RFC 8949 §3.1).
const cborMajorMap = 5

// unmarshalCBOR decodes body, which must be exactly one CBOR map, into v.
func unmarshalCBOR(body []byte, v any) error {
	if len(body) == 0 || body[0]>>5 != cborMajorMap {
		return newError(ProtocolViolation, ErrMalformed, "body is not a CBOR map")
	}
	if err := decMode.Unmarshal(body, v); err != nil {
		return &Error{Code: ProtocolViolation, Detail: "bad CBOR body", Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
	}
	return nil
}

// appendCBOR appends the CBOR encoding of v to b.
func appendCBOR(b []byte, v any) ([]byte, error) {
	enc, err := encMode.Marshal(v)
	if err != nil {
		return b, &Error{Code: Internal, Detail: "CBOR encoding failed", Err: err}
	}
	return append(b, enc...), nil
}
