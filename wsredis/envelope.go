package wsredis

import (
	"encoding/binary"
	"errors"

	"github.com/infra-arsenal/arsenal/websocket"
)

// The envelope of a message on a partition channel:
//
//	'w' version 1 | type (1 text, 2 binary) | node id length (1 byte) |
//	node id | sequence (uvarint) | topic length (uvarint) | topic | payload
//
// The sequence numbers a node's messages per partition from 1, so that a
// receiver drops a message it already had (a PUBLISH retried after a
// connection failure) and counts the ones it missed. History messages
// ('h') carry sequence 0 and their offset after the topic.
const envVersion = 'w'

var errMalformed = errors.New("malformed envelope")

func encode(node string, seq uint64, topic string, typ websocket.MessageType, data []byte) string {
	b := make([]byte, 0, 3+len(node)+2*binary.MaxVarintLen64+len(topic)+len(data))
	t := byte(1)
	if typ == websocket.Binary {
		t = 2
	}
	b = append(b, envVersion, t, byte(len(node)))
	b = append(b, node...)
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, uint64(len(topic)))
	b = append(b, topic...)
	b = append(b, data...)
	return string(b)
}

type envelope struct {
	node, topic string
	seq         uint64
	typ         websocket.MessageType
	data        []byte
	hist        bool // a history message: data starts with its offset
}

// decode parses an envelope; it never panics on hostile input.
func decode(s string) (envelope, error) {
	var e envelope
	if len(s) < 3 || s[0] != envVersion && s[0] != histVersion {
		return e, errMalformed
	}
	e.hist = s[0] == histVersion
	switch s[1] {
	case 1:
		e.typ = websocket.Text
	case 2:
		e.typ = websocket.Binary
	default:
		return e, errMalformed
	}
	nl := int(s[2])
	s = s[3:]
	if len(s) < nl {
		return e, errMalformed
	}
	e.node, s = s[:nl], s[nl:]
	seq, n := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if n <= 0 {
		return e, errMalformed
	}
	e.seq, s = seq, s[n:]
	tl, n := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if n <= 0 || tl > uint64(len(s)-n) {
		return e, errMalformed
	}
	s = s[n:]
	e.topic, s = s[:tl], s[tl:]
	e.data = []byte(s)
	return e, nil
}
