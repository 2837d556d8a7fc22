package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
)

const chunkSigPrefix = ";chunk-signature="

func errMalformedChunks(why string) *Error {
	return errIncomplete("Malformed aws-chunked body: " + why + ".")
}

// decodeChunks checks an aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)
// and returns its data. Each chunk is
//
//	hex-size;chunk-signature=<sig>\r\n<data>\r\n
//
// the last one empty. A chunk's signature signs
// "AWS4-HMAC-SHA256-PAYLOAD", the date, the scope, the previous signature
// (the request's for the first chunk), the hash of the empty string and the
// hash of the data.
func (in *request) decodeChunks(r *http.Request, body []byte, key *[sha256.Size]byte) ([]byte, *Error) {
	prev := []byte(in.signature)
	out := make([]byte, 0, len(body))
	for {
		eol := bytes.Index(body, []byte("\r\n"))
		if eol < 0 {
			return nil, errMalformedChunks("chunk header without CRLF")
		}
		head := body[:eol]
		body = body[eol+2:]
		i := bytes.Index(head, []byte(chunkSigPrefix))
		if i < 0 {
			return nil, errMalformedChunks("chunk without chunk-signature")
		}
		size, err := strconv.ParseUint(string(head[:i]), 16, 31)
		if err != nil {
			return nil, errMalformedChunks("bad chunk size")
		}
		got := head[i+len(chunkSigPrefix):]
		if uint64(len(body)) < size+2 || body[size] != '\r' || body[size+1] != '\n' {
			return nil, errMalformedChunks("truncated chunk")
		}
		data := body[:size]
		body = body[size+2:]

		s := make([]byte, 0, 256)
		s = append(s, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
		s = append(s, in.amzDate...)
		s = append(s, '\n')
		s = in.appendScope(s)
		s = append(s, '\n')
		s = append(s, prev...)
		s = append(s, "\n"+emptySHA256+"\n"...)
		h := sha256.Sum256(data)
		s = hex.AppendEncode(s, h[:])
		m := hmac.New(sha256.New, key[:])
		m.Write(s)
		want := hex.AppendEncode(nil, m.Sum(nil))
		if !hmac.Equal(want, got) {
			return nil, errMismatch(msgSignatureMismatch)
		}
		prev = want
		out = append(out, data...)
		if size == 0 {
			break
		}
	}
	if len(body) != 0 {
		return nil, errMalformedChunks("data after the final chunk")
	}
	if dl := r.Header.Get("X-Amz-Decoded-Content-Length"); dl != "" && dl != strconv.Itoa(len(out)) {
		return nil, errMalformedChunks("x-amz-decoded-content-length " + dl + " but " + strconv.Itoa(len(out)) + " bytes decoded")
	}
	return out, nil
}
