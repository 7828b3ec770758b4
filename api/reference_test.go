package api

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the reference table in ../README.md")

// refItem maps one name of the reference class to where it lives here.
type refItem struct {
	kind, ref string
	goNames   []string // methods of *STOMP that implement it
	note      string   // how it differs from the reference, if it does
}

// differs returns it with note, README's word on how it differs from the
// reference.
func (it refItem) differs(note string) refItem {
	it.note = note
	return it
}

func prop(ref string, names ...string) refItem {
	return refItem{kind: "property", ref: ref, goNames: names}
}
func meth(ref string, names ...string) refItem {
	return refItem{kind: "method", ref: ref, goNames: names}
}
func evt(ref string, names ...string) refItem {
	return refItem{kind: "event", ref: ref, goNames: names}
}

// referenceItems lists every property, method and event of the reference
// class (settings are listed by name in referenceSettings).
var referenceItems = []refItem{
	prop("connected", "Connected", "SetConnected"),
	prop("content_type", "ContentType", "SetContentType"),
	prop("firewall_auto_detect", "FirewallAutoDetect", "SetFirewallAutoDetect"),
	prop("firewall_type", "FirewallType", "SetFirewallType"),
	prop("firewall_host", "FirewallHost", "SetFirewallHost"),
	prop("firewall_password", "FirewallPassword", "SetFirewallPassword"),
	prop("firewall_port", "FirewallPort", "SetFirewallPort").differs(firewallPortNote),
	prop("firewall_user", "FirewallUser", "SetFirewallUser"),
	prop("header_count / header_key / header_value", "Headers", "AddHeader", "ResetHeaders").differs(
		"a list, as in the reference: a key added twice is sent twice, in order; a key in a Send call's SendOptions.Headers replaces the custom ones of that key"),
	prop("incoming_heartbeat", "IncomingHeartbeat", "SetIncomingHeartbeat"),
	prop("local_host", "LocalHost", "SetLocalHost"),
	prop("local_port", "LocalPort", "SetLocalPort"),
	prop("outgoing_heartbeat", "OutgoingHeartbeat", "SetOutgoingHeartbeat"),
	prop("parsed_header_count / key / value", "ParsedHeaders"),
	prop("password", "Password", "SetPassword"),
	prop("ready_to_send", "ReadyToSend"),
	prop("remote_host", "RemoteHost", "SetRemoteHost"),
	prop("remote_port", "RemotePort", "SetRemotePort"),
	prop("request_receipts", "RequestReceipts", "SetRequestReceipts"),
	prop("ssl_accept_server_cert_encoded", "SSLAcceptServerCertEncoded", "SetSSLAcceptServerCertEncoded"),
	prop("ssl_cert_encoded", "SSLCertEncoded", "SetSSLCertEncoded"),
	prop("ssl_cert_store", "SSLCertStore", "SetSSLCertStore"),
	prop("ssl_cert_store_password", "SSLCertStorePassword", "SetSSLCertStorePassword"),
	prop("ssl_cert_store_type", "SSLCertStoreType", "SetSSLCertStoreType").differs(
		"the reference's numbers: 2 PKCS#12 file, 3 PKCS#12 blob, 6 PEM file, 7 PEM blob, 99 automatic; 0, the default (Go's zero value), is automatic too, not the Windows user's store; the reference's other kinds (Windows stores, Java and BouncyCastle key stores, PKCS#7, PuTTY, XML, JWK, security keys, PKCS#11) are refused with ErrUnsupported (104)"),
	prop("ssl_cert_subject", "SSLCertSubject", "SetSSLCertSubject").differs(
		"the reference's form (\"CN=me, O=Example, E=me@example.org\") picks only a certificate holding every field given, each value compared whole (\"O=Example\" never picks \"O=Example, Inc.\"); a partial value without '=' (\"me\") picks a certificate with a field of that value (CN=me), else one whose subject holds it (CN=me-admin); subjects are printed (SSLServerAuthenticationEvent.CertSubject, CertIssuer) in Go's RFC 2253 form, \"CN=me,O=Example\", not the reference's"),
	prop("ssl_enabled", "SSLEnabled", "SetSSLEnabled"),
	prop("ssl_server_cert_encoded", "SSLServerCertEncoded"),
	prop("subscription_count / id / destination", "Subscriptions"),
	prop("timeout", "Timeout", "SetTimeout"),
	prop("transaction_id", "TransactionID", "SetTransactionID"),
	prop("user", "User", "SetUser"),
	meth("abort_transaction", "AbortTransaction", "AbortTransactionContext"),
	meth("add_header", "AddHeader"),
	meth("begin_transaction", "BeginTransaction", "BeginTransactionContext"),
	meth("commit_transaction", "CommitTransaction", "CommitTransactionContext"),
	meth("config", "Config"),
	meth("connect", "Connect", "ConnectContext"),
	meth("disconnect", "Disconnect", "DisconnectContext").differs(
		"waits for the broker's RECEIPT and the running handlers up to DisconnectTimeout (a setting not in the reference; 5 seconds by default), not Timeout"),
	meth("do_events", "DoEvents"),
	meth("interrupt", "Interrupt"),
	meth("reset", "Reset"),
	meth("reset_headers", "ResetHeaders"),
	meth("send_data", "SendData", "SendDataContext"),
	meth("send_message", "SendMessage", "SendMessageContext"),
	meth("subscribe", "Subscribe", "SubscribeContext", "SubscribeWith"),
	meth("unsubscribe", "Unsubscribe", "UnsubscribeContext"),
	evt("on_connected", "OnConnected"),
	evt("on_connection_status", "OnConnectionStatus"),
	evt("on_disconnected", "OnDisconnected"),
	evt("on_error", "OnError"),
	evt("on_log", "OnLog"),
	evt("on_message_in", "OnMessageIn"),
	evt("on_message_out", "OnMessageOut"),
	evt("on_ready_to_send", "OnReadyToSend"),
	evt("on_receipt_in", "OnReceiptIn"),
	evt("on_receipt_out", "OnReceiptOut"),
	evt("on_ssl_server_authentication", "OnSSLServerAuthentication"),
	evt("on_ssl_status", "OnSSLStatus"),
	evt("on_subscribed", "OnSubscribed"),
	evt("on_unsubscribed", "OnUnsubscribed"),
}

// referenceSettings is every configuration setting the reference lists.
var referenceSettings = strings.Fields(`AckTransactionId CollapseHeaders ErrorHeaders LogLevel
	OpenTransactions ProtocolVersion RequestAckReceipts RequestSubscriptionReceipts
	RequestTransactionReceipts SendCustomFrame ServerInfo SessionId SupportedVersions VirtualHost
	ConnectionTimeout FirewallAutoDetect FirewallHost FirewallPassword FirewallPort FirewallType
	FirewallUser KeepAliveInterval KeepAliveTime Linger LingerTime LocalHost LocalPort MaxLineLength
	MaxTransferRate ProxyExceptionsList TCPKeepAlive TcpNoDelay UseIPv6 LogSSLPackets OpenSSLCADir
	OpenSSLCAFile OpenSSLCipherList OpenSSLPrngSeedData ReuseSSLSession SSLCACertFilePaths SSLCACerts
	SSLCheckCRL SSLCipherStrength SSLEnabledCipherSuites SSLEnabledProtocols SSLEnableRenegotiation
	SSLIncludeCertChain SSLNegotiatedCipher SSLNegotiatedCipherStrength SSLNegotiatedCipherSuite
	SSLNegotiatedKeyExchange SSLNegotiatedKeyExchangeStrength SSLNegotiatedProtocol SSLProvider
	SSLSecurityFlags SSLServerCACerts TLS12SignatureAlgorithms TLS12SupportedGroups TLS13KeyShareGroups
	TLS13SignatureAlgorithms TLS13SupportedGroups AbsoluteTimeout FirewallData InBufferSize
	OutBufferSize BuildInfo CodePage LicenseInfo ProcessIdleEvents SelectWaitMillis
	UseInternalSecurityAPI`)

const (
	tableBegin = "<!-- reference-table:begin (generated by go test ./api -run TestReferenceTable -update-readme) -->"
	tableEnd   = "<!-- reference-table:end -->"
)

// TestReferenceTable checks that every name of the reference has its
// implementation here and that README.md's table says so, exactly.
func TestReferenceTable(t *testing.T) {
	typ := reflect.TypeOf(&STOMP{})
	var b strings.Builder
	b.WriteString(tableBegin + "\n\n| reference | kind | in `api` |\n|---|---|---|\n")
	for _, it := range referenceItems {
		var cells []string
		for _, n := range it.goNames {
			_, ok := typ.MethodByName(n)
			require.True(t, ok, "%s %s: (*STOMP).%s is missing", it.kind, it.ref, n)
			cells = append(cells, "`"+n+"`")
		}
		where := strings.Join(cells, ", ")
		if it.note != "" {
			where += ": " + it.note
		}
		b.WriteString("| " + it.ref + " | " + it.kind + " | " + where + " |\n")
	}
	for _, name := range referenceSettings {
		var where string
		switch row, ok := lookupSetting(name); {
		case ok:
			where = "`Config(\"" + name + "\")`"
			if row.approx != "" {
				where += ": " + row.approx
			}
		case unsupportedSettings[strings.ToLower(name)] != "":
			where = "not supported (error 104): " + unsupportedSettings[strings.ToLower(name)]
		default:
			t.Errorf("setting %s is neither in the settings table nor listed as unsupported", name)
		}
		b.WriteString("| " + name + " | setting | " + where + " |\n")
	}
	b.WriteString("\n" + tableEnd)
	want := b.String()

	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	s := string(readme)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	require.True(t, i >= 0 && j > i, "README.md lacks the reference table markers")
	got := s[i : j+len(tableEnd)]
	if *updateReadme {
		require.NoError(t, os.WriteFile("../README.md", []byte(s[:i]+want+s[j+len(tableEnd):]), 0o644))
		return
	}
	require.Equal(t, want, got, "README.md's reference table is stale: run go test ./api -run TestReferenceTable -update-readme")
}
