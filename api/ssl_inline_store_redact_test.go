package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// smallPFX is a PKCS#12 store (EC P-256 key and certificate, no password,
// made with openssl pkcs12 -export -keypbe NONE -certpbe NONE -nomac):
// 980 base64 bytes, holding the private key in clear.
const smallPFX = "MIIC2QIBAzCCAtIGCSqGSIb3DQEHAaCCAsMEggK/MIICuzCCAdwGCSqGSIb3DQEHAaCCAc0EggHJMIIBxTCCAcEGCyqGSIb3DQEMCgEDoIIBiTCCAYUGCiqGSIb3DQEJFgGgggF1BIIBcTCCAW0wggEToAMCAQICFAq/kl+HgD6OW6CjuoW3BgCpqWMTMAoGCCqGSM49BAMCMAwxCjAIBgNVBAMMAWEwHhcNMjYxMjA3MjMzMDU3WhcNMjYxMjA5MjMzMDU3WjAMMQowCAYDVQQDDAFhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbO66XhicIBkXo0uLIfpx5S0B1w/g3Ty8n6s0NUry7ehpRSSAit5qJLc9ba+6iVZkVGi1KS+16OoABaAE6zOSHaNTMFEwHQYDVR0OBBYEFL9N7TLesH/h/W+FAOX0tRyYHsQ+MB8GA1UdIwQYMBaAFL9N7TLesH/h/W+FAOX0tRyYHsQ+MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgLOiVSUX1JSuMFVN1qwEUgufhId+5fBTqrp9ar1RtZFsCIQC57UkHF+meVVZELlKMlZ0xHL8HN46L7mV95AwveFLT8DElMCMGCSqGSIb3DQEJFTEWBBQCjtW6E1gQZ96g5ck7y0HSeF9yfjCB2AYJKoZIhvcNAQcBoIHKBIHHMIHEMIHBBgsqhkiG9w0BDAoBAaCBijCBhwIBADATBgcqhkjOPQIBBggqhkjOPQMBBwRtMGsCAQEEIFtYl3H4NPrGxvrOUEyxHjmu9clu/3AOnB+i6tMvWU4joUQDQgAEbO66XhicIBkXo0uLIfpx5S0B1w/g3Ty8n6s0NUry7ehpRSSAit5qJLc9ba+6iVZkVGi1KS+16OoABaAE6zOSHTElMCMGCSqGSIb3DQEJFTEWBBQCjtW6E1gQZ96g5ck7y0HSeF9yfg=="

// TestInlinePFXWithAutoTypeIsNotQuoted: an inline base64 PKCS#12 store
// given with the default CertStoreType (automatic) is taken for a file
// name, and neither SSLSettings.String nor Connect's error quotes it,
// whatever its length: a small EC store is under 1 KiB.
func TestInlinePFXWithAutoTypeIsNotQuoted(t *testing.T) {
	ssl := SSLSettings{Enabled: true, CertStore: smallPFX}
	// A piece of the blob long enough to be the key, not chance.
	piece := smallPFX[400:440]
	assert.NotContains(t, ssl.String(), piece, "SSLSettings.String quotes the inline store")
	s := newClient(t, WithSSL(ssl))
	err := s.Connect("127.0.0.1", 1)
	if assert.Error(t, err) {
		assert.False(t, strings.Contains(err.Error(), piece), "Connect's error quotes the inline store: %.160s...", err.Error())
		assert.ErrorIs(t, err, ErrInvalidArgument)
		assert.Contains(t, err.Error(), "inline")
	}
}

// TestInlineStoreOfAnyKindIsNeverQuoted: whatever inline material an
// automatic CertStore holds (PEM, base64 of any length, with or without
// padding or line breaks, binary bytes), String and Connect's error name
// it by kind and length only; a file name is still quoted.
func TestInlineStoreOfAnyKindIsNeverQuoted(t *testing.T) {
	cases := map[string]string{
		"short base64 DER":       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsecretkeybytes",
		"wrapped base64":         smallPFX[:76] + "\n" + smallPFX[76:152] + "\n",
		"unpadded base64":        strings.TrimRight(smallPFX, "="),
		"base64 not DER":         strings.Repeat("c2VjcmV0c2VjcmV0", 20),
		"PEM without BEGIN line": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secretsecret\n-----END PRIVATE KEY-----",
		"binary":                 "0\x82\x02\xd9\x02\x01\x03secret-binary-bytes",
		"long text":              strings.Repeat("secret-words ", 100),
	}
	for name, store := range cases {
		t.Run(name, func(t *testing.T) {
			piece := strings.TrimSpace(store)
			piece = piece[len(piece)/2:]
			piece = piece[:min(len(piece), 12)]
			ssl := SSLSettings{Enabled: true, CertStore: store}
			for _, out := range []string{ssl.String(), fmt.Sprintf("%v %+v %#v", ssl, ssl, ssl)} {
				assert.NotContains(t, out, piece)
				assert.Contains(t, out, "inline")
			}
			s := newClient(t, WithSSL(ssl))
			err := s.Connect("127.0.0.1", 1)
			if assert.Error(t, err) {
				assert.NotContains(t, err.Error(), piece)
				assert.ErrorIs(t, err, ErrInvalidArgument)
			}
		})
	}
	// A file name is shown as it is, in String and in the error.
	ssl := SSLSettings{Enabled: true, CertStore: "/nonexistent/dir/client.p12"}
	assert.Contains(t, ssl.String(), "/nonexistent/dir/client.p12")
	s := newClient(t, WithSSL(ssl))
	err := s.Connect("127.0.0.1", 1)
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "/nonexistent/dir/client.p12")
	}
}
