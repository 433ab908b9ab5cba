package websocket

import (
	"errors"
	"unicode/utf8"
)

// StatusCode is a close code of RFC 6455 section 7.4.
type StatusCode int

// Close codes. 1005, 1006 and 1015 are never sent; they report what
// happened.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	StatusNoStatus        StatusCode = 1005 // the close frame carried no code
	StatusAbnormalClosure StatusCode = 1006 // the TCP connection ended without a close frame
	StatusInvalidPayload  StatusCode = 1007 // a text message was not valid UTF-8
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusMandatoryExt    StatusCode = 1010
	StatusInternalError   StatusCode = 1011
	StatusServiceRestart  StatusCode = 1012
	StatusTryAgainLater   StatusCode = 1013
	StatusBadGateway      StatusCode = 1014
	StatusTLSHandshake    StatusCode = 1015
)

// validWireCode reports whether code may appear in a close frame.
func validWireCode(code StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseError reports how a connection ended: the close code and reason,
// and whether the peer sent them (Remote) or this side did.
type CloseError struct {
	Code   StatusCode
	Reason string
	Remote bool
}

func (e *CloseError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	s := "websocket closed by " + who + " with " + itoa4(int(e.Code))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func itoa4(n int) string {
	b := []byte{'0', '0', '0', '0'}
	for i := 3; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

// CloseStatus returns the close code carried by err (a *CloseError in its
// chain), or -1 when err did not come from a close.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// protocolError is a violation found in what the peer sent; the
// connection fails with its code.
type protocolError struct {
	code   StatusCode
	reason string
}

func (e *protocolError) Error() string { return "websocket protocol violation: " + e.reason }

func truncateReason(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:123]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
