package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"

	"github.com/gobwas/ws"

	"github.com/infra-arsenal/arsenal"
)

func init() {
	arsenal.RegisterClassifier(Kind, classify)
}

// HandshakeError reports an opening handshake that the server (or an HTTP
// proxy, when Proxy is set) refused with an HTTP status instead of 101.
type HandshakeError struct {
	StatusCode int         // the HTTP status, such as 401 or 404
	Header     http.Header // the response headers, when they could be read
	Proxy      bool        // the refusal came from the CONNECT proxy
}

func (e *HandshakeError) Error() string {
	who := "server"
	if e.Proxy {
		who = "proxy"
	}
	return fmt.Sprintf("websocket handshake refused by %s: %d %s", who, e.StatusCode, http.StatusText(e.StatusCode))
}

// statusCode maps an HTTP status of a refused handshake to a code.
func statusCode(status int, proxy bool) arsenal.Code {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusProxyAuthRequired:
		return arsenal.Unauthenticated
	case status == http.StatusForbidden:
		return arsenal.PermissionDenied
	case status == http.StatusNotFound, status == http.StatusGone:
		return arsenal.NotFound
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		return arsenal.DeadlineExceeded
	case status == http.StatusTooManyRequests:
		return arsenal.ResourceExhausted
	case status == http.StatusUpgradeRequired, status == http.StatusNotImplemented,
		status == http.StatusMethodNotAllowed, status >= 200 && status < 300:
		// The server does not speak WebSocket (at this path or version).
		return arsenal.Unimplemented
	case status >= 500:
		if status == http.StatusInternalServerError {
			return arsenal.Internal
		}
		return arsenal.Unavailable
	case status >= 400:
		return arsenal.InvalidArgument
	}
	return arsenal.Unknown
}

// closeCode maps a close code to an Arsenal code.
func closeCode(code StatusCode) arsenal.Code {
	switch code {
	case StatusNormalClosure, StatusGoingAway, StatusNoStatus, StatusAbnormalClosure,
		StatusServiceRestart, StatusTryAgainLater, StatusBadGateway:
		return arsenal.Unavailable
	case StatusProtocolError, StatusInternalError:
		return arsenal.Internal
	case StatusUnsupportedData, StatusInvalidPayload:
		return arsenal.InvalidArgument
	case StatusPolicyViolation, 3003:
		return arsenal.PermissionDenied
	case StatusMessageTooBig:
		return arsenal.ResourceExhausted
	case StatusMandatoryExt:
		return arsenal.Unimplemented
	case StatusTLSHandshake, 3000:
		return arsenal.Unauthenticated
	case 3008:
		return arsenal.DeadlineExceeded
	}
	return arsenal.Unknown
}

// classify is the registered classifier for this package's native errors.
func classify(err error) (arsenal.Code, bool) {
	var he *HandshakeError
	var ce *CloseError
	var pe *protocolError
	var se ws.StatusError
	var wp ws.ProtocolError
	var rej *ws.ConnectionRejectedError
	var alert tls.AlertError
	switch {
	case errors.As(err, &he):
		return statusCode(he.StatusCode, he.Proxy), true
	case errors.As(err, &ce):
		return closeCode(ce.Code), true
	case errors.As(err, &pe):
		return closeCode(pe.code), true
	case errors.As(err, &se):
		return statusCode(int(se), false), true
	case errors.Is(err, ws.ErrHandshakeBadSecAccept), errors.Is(err, ws.ErrHandshakeBadUpgrade),
		errors.Is(err, ws.ErrHandshakeBadConnection), errors.Is(err, ws.ErrHandshakeBadProtocol),
		errors.Is(err, ws.ErrMalformedResponse), errors.Is(err, ws.ErrHandshakeBadSubProtocol),
		errors.Is(err, ws.ErrHandshakeBadExtensions):
		// The peer answered, but not as a WebSocket server.
		return arsenal.Unimplemented, true
	case errors.As(err, &rej):
		return arsenal.InvalidArgument, true
	case errors.As(err, &wp):
		return arsenal.Internal, true
	case errors.As(err, &alert) && certificateAlert(uint8(alert)), certificateRemoteError(err):
		// The peer refused our certificate (or its absence, under
		// mutual TLS): a credential problem, not an outage.
		return arsenal.Unauthenticated, true
	}
	return 0, false
}

// certificateAlert reports whether a TLS alert from the peer is about
// this side's certificate (RFC 8446 section 6.2): bad, unsupported,
// revoked, expired or unknown certificate, unknown CA, access denied,
// certificate required.
func certificateAlert(a uint8) bool {
	switch a {
	case 42, 43, 44, 45, 46, 48, 49, 116:
		return true
	}
	return false
}

// certificateAlertText are crypto/tls's texts of those alerts, which it
// returns over TCP as a *net.OpError "remote error" of an unexported type.
var certificateAlertText = []string{"tls: bad certificate", "tls: unsupported certificate",
	"tls: revoked certificate", "tls: expired certificate", "tls: unknown certificate",
	"tls: unknown certificate authority", "tls: access denied", "tls: certificate required"}

func certificateRemoteError(err error) bool {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return false
	}
	return slices.Contains(certificateAlertText, oe.Err.Error())
}

// translate turns any error into the *arsenal.Error op returns; it is the
// one place native errors are converted.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return arsenal.Wrap(Kind, op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return arsenal.Wrap(Kind, op, err)
	}
	code, ok := classify(err)
	if !ok {
		code = arsenal.NativeCode(err)
		if code == arsenal.FailedPrecondition {
			// A socket closed under us is a lost connection, not misuse.
			code = arsenal.Unavailable
		}
	}
	e := arsenal.E(code, Kind, op, err)
	if code == arsenal.ResourceExhausted && CloseStatus(err) == StatusMessageTooBig {
		e = e.WithRetry(false)
	}
	return e
}
