// Package api is stompactor's public face: STOMP, a synchronous STOMP
// 1.0/1.1/1.2 client with properties, methods, events and configuration
// settings, driving the actor engine of package actors.
//
//	s := api.NewSTOMP(api.WithUser("guest"), api.WithPassword("guest"))
//	defer s.Close()
//	s.OnMessageIn(func(e *api.MessageInEvent) { fmt.Println(e.Text()) })
//	if err := s.Connect("localhost", 61613); err != nil { ... }
//	id, err := s.Subscribe("/queue/a", true)
//	err = s.SendMessage("/queue/a", "hello")
//
// # Properties
//
// Each property is a getter and a setter (RemoteHost and SetRemoteHost);
// list properties are slices of small structs (Headers, ParsedHeaders,
// Subscriptions). A property Connect reads (RemoteHost, User, Password,
// the heart-beats, LocalHost, the firewall and SSL ones) cannot change
// while connected: its setter returns ErrConnectedSetting. Every property
// and setting also has an option for NewSTOMP; a property, its option and
// its Config name write the same value.
//
// # Calls and timeouts
//
// Every call that talks to the broker waits at most Timeout seconds
// (default 60) and has a Context twin (Connect and ConnectContext) whose
// context's earlier deadline wins. A context already done when the call
// is made refuses it before anything is written or queued (ErrCanceled,
// or ErrTimeout for a deadline passed, wrapping the context's error), as
// database/sql does; DisconnectContext and CloseContext end the
// connection all the same. Which error comes first when a call has a
// done context and a fault of its own differs by call: a send checks the
// context before its arguments (a done context and an empty destination
// give ErrCanceled, not ErrInvalidArgument), while Ack and Nack first
// check the event (ErrNoAck, ErrAlreadyAcked, ErrNackUnsupported) and
// then the context. With Timeout 0 a call given no
// deadline does not wait: it is queued to run in order after the calls
// queued before it, returns nil, and its failure reaches OnError (except
// the refusal of a done context, which the call returns itself, nothing
// being queued and nothing reaching OnError); a
// message sent then takes its place in that order too (it goes straight
// to the outgoing queue only when no call waits). So with Timeout 0 a
// send's nil means queued, not confirmed, even with RequestReceipts: the
// outcome (an ERROR refusing it, a missing RECEIPT) reaches OnError; what
// confirms each message then is SendDataAsync, which is at least once
// (its done callback hears the RECEIPT), or a context with a deadline, which makes a
// call wait whatever Timeout says. With AtLeastOnce too: the send returns
// once the outbox took the message, which stays there and is sent again
// until its RECEIPT, and its failure (an ERROR naming it, the
// connection's end for good) reaches OnError naming the message. Messages are sent once
// queued unless RequestReceipts asks for the broker's RECEIPT; a full
// outgoing queue makes SendMessage wait (or, with Timeout 0, return
// ErrWouldBlock; OnReadyToSend fires when there is room), and so does a
// full outbox with AtLeastOnce (with Timeout 0, ErrWouldBlock, for
// SendDataAsync too).
//
// A broker may stop reading a connection for a while: RabbitMQ stops
// reading every publisher's connection while a resource alarm (memory or
// disk) is raised. The socket's buffers take what is written meanwhile (a
// few MiB), so plain sends go on returning nil; once they are full, a
// socket write that stalls for Timeout fails (see AbsoluteTimeout), and
// that ends the connection: the send waiting then fails with
// ErrConnectionLost (a write i/o timeout; or ErrTimeout, when its own wait
// ends first), OnDisconnected fires with ErrConnectionLost, and the
// connection is not kept. The plain sends that had returned nil but whose
// bytes still sat in those buffers are lost with it: their nil meant
// handed to the connection, not taken by the broker. With a Reconnect
// policy the client connects again, and while the alarm lasts loses each
// new connection the same way, Timeout after its writes stall. Where a
// message must not be lost silently, ask for the broker's word: with
// RequestReceipts a send waits for its RECEIPT and fails with
// ErrReceiptTimeout after Timeout while the broker does not read (so the
// program knows which messages are unconfirmed), and with AtLeastOnce the
// outbox keeps each message until its RECEIPT and sends it again after a
// reconnect (a message may then arrive twice). A Timeout longer than the
// alarms rides them out.
//
// # Headers
//
// The client writes each frame's own headers itself (destination,
// transaction, receipt, content-length, subscription, id, ack,
// message-id): a custom header (AddHeader, WithHeader) or an extra
// SUBSCRIBE header (SubscribeOptions.Headers) cannot replace one, and is
// refused when given. content-type is the caller's on SEND (ContentType,
// or a custom content-type, which replaces it). SendCustomFrame is the one
// way to write a frame by hand.
//
// The custom headers are a list, as in the reference: AddHeader with a
// key already there adds a second entry, and every entry goes out with
// each message, in the order added (a STOMP 1.2 receiver keeps the first
// of a repeated key).
//
// Custom headers, ContentType and TransactionID are the client's: every
// message reads them, so goroutines that set them around their own sends
// see each other's. Send and SendAsync take a message's own headers,
// content type and transaction (SendOptions) instead, beside the custom
// headers; a key the message names replaces every custom header of that
// key, and they read no TransactionID.
//
// CONNECT takes extra headers too (WithConnectHeader, the ConnectHeaders
// setting), sent on every connection attempt, reconnects and failovers
// included: ActiveMQ's client-id, which a durable topic subscription
// needs to outlive its connection. The headers CONNECT carries from other
// settings (accept-version, host, login, passcode, heart-beat) and those
// of other frames (receipt, content-length...) are refused, the former
// naming the setting to use; CONNECT is never escaped, so no name there
// holds a colon and no value a line break.
//
// Input that cannot be encoded is refused with ErrInvalidArgument naming
// the header, never queued and dropped: the rules that hold in every
// version (no NUL anywhere; no colon or line break in a header name; no
// line break in ContentType, TransactionID, AckTransactionId, User,
// Password or VirtualHost) when the value is given, the rules of the
// negotiated version when the frame is made (STOMP 1.0 cannot carry a
// line feed in a header value, destinations included; 1.0 and 1.1 cannot
// carry a carriage return). A frame the engine still cannot encode (the
// version changed on a reconnect, say) fails its call or, for a message
// queued without waiting, reaches OnError.
//
// # Server errors
//
// A server ERROR frame is code 600 (ErrServer), with the frame's headers
// and body in the *Error; ErrorHeaders keeps the last one's headers.
// During Connect (a refused login, an unknown virtual host) it is
// Connect's error. Once connected, every ERROR reaches OnError as it
// arrives; one that names the receipt of a call waiting for it
// (RequestReceipts and the other Request...Receipts settings) also fails
// that call.
//
// The error's message ("stomp: server error: " and the frame's message
// header, or the first line of its body) is the broker's text made safe
// to print: control characters (line feeds, ESC, C1 controls, bytes that
// are not UTF-8, ...) are written as Go escapes (\n, \x1b, \u009b,
// \xff) and the text is cut to MaxQuotedText bytes, ending in "..." when
// cut. The same holds wherever the client quotes what a broker sent into
// a message, an event's Description or a log line (the server header of
// CONNECTED, an unknown receipt id, a message id): a broker cannot add
// lines to the application's log or send escape sequences to its
// terminal. The fields that carry the broker's words as data keep them
// raw: Error.Headers and Error.Body, ErrorHeaders, ServerInfo, a
// message's headers; escape them before printing them.
//
// An *Error keeps at most MaxErrorBody (64 KiB) of an ERROR's body, and
// says when the broker sent more (Truncated). A broker that keeps the
// connection open may send ERRORs faster than OnError handles them: the
// events waiting for their handler hold at most 8 MiB of the ERRORs'
// headers and bodies (and of log lines); an ERROR that comes past that
// reaches OnError all the same, in its turn, with its code and message
// but no Headers or Body (Truncated set). Only a full event queue (4096
// events) drops an ERROR's event, counted in EventsDropped; ErrorHeaders
// has the last ERROR's headers whatever the queue held.
//
// The STOMP specification says a server closes the connection after an
// ERROR, and most do: the connection then ends, and OnDisconnected
// follows with the same error. Some servers keep it open after an error
// they consider recoverable (ActiveMQ does, for a bad ACK or a refused
// destination, say). The client does not close a connection the server
// keeps: the ERROR is reported (OnError) and the connection stays, so a
// program that cares must watch OnError; a program that treats every
// ERROR as the end calls Disconnect from its OnError handler. The
// command line does that: stomp send and stomp subscribe print every
// server ERROR and exit 1.
//
// # Events
//
// Handlers are registered with OnConnected, OnMessageIn and so on. Every
// event but MessageIn and the SSL ones runs on one goroutine, in order.
// The Subscribed and Unsubscribed events of one subscription id come in
// the order the client made and ended its subscriptions, even when a
// Subscribe and an Unsubscribe of that id race on different goroutines,
// and no Subscribed event follows the Disconnected event of its
// connection; no call waits for another call's outcome to return or to
// tell its event (see SubscribedEvent). SSLStatus and SSLServerAuthentication run on the connecting goroutine
// while the TLS handshake waits for them. MessageIn runs on
// its subscription's own goroutine, so messages of one subscription are
// handled in order while different subscriptions (and other events) run
// at the same time; a slow handler holds back only its own subscription.
// When the handler returns, a subscription that needs acknowledgements
// sends ACK, or NACK when the handler set MessageInEvent.Ack to false;
// with SubscribeOptions.ManualAck nothing is sent and the program calls
// Ack or Nack later, from any goroutine. A MessageIn handler (or a
// SubscribeOptions.DeadLetter hook) that panics, or ends its goroutine
// (runtime.Goexit, which t.FailNow in a test calls), is reported with
// OnError and counted in Stats.Panics; its message is NACKed, or left
// unacknowledged on STOMP 1.0 (unless it was acknowledged already, or
// ManualAck leaves it to the program), where the later ACKs of its
// subscription, which would cover it, are then held back until the
// subscription or the connection ends (see MessageInEvent.Ack). Any other handler that does is logged and
// counted. Either way the client goes on. ParsedHeaders returns the headers
// of the last message handed to a handler; a handler should read its
// event's Headers instead, which are its own even when handlers run at
// once. With ProcessIdleEvents false (WithManualEvents) events, MessageIn
// included, wait until the program calls DoEvents, and run on its
// goroutine; a message whose handler still waits for DoEvents when the
// client closes is not handed on (unless a DoEvents or Disconnect already
// running takes it first), and is counted in Stats.Dropped. With
// ProcessIdleEvents true DoEvents has nothing to run: it
// waits up to SelectWaitMillis for the event goroutine to handle an event
// of the client (returning as soon as one was handled, or at Close), so
// that a loop ported from the reference, for !done { s.DoEvents() } with
// done set by a handler, neither spins nor wakes late; from an event
// handler it returns at once.
//
// A call that waits for its outcome returns only once the handlers of the
// events it caused have run, as in the reference, where those events fire
// during the call: a program may read right after Subscribe what its
// OnSubscribed handler noted. The calls and their events: Connect
// (Connected, ConnectionStatus, ReadyToSend), Disconnect (Disconnected,
// ConnectionStatus, and the ReceiptOut and ReceiptIn of its DISCONNECT),
// Subscribe and Unsubscribe (Subscribed, Unsubscribed, and their
// ReceiptOut and ReceiptIn with RequestSubscriptionReceipts), a send that
// waits for its RECEIPT (RequestReceipts, or at-least-once: MessageOut,
// ReceiptOut, ReceiptIn), with RequestTransactionReceipts
// BeginTransaction, CommitTransaction and AbortTransaction, and with
// RequestAckReceipts Ack and Nack (ReceiptOut, ReceiptIn; the ACK or NACK
// a MessageIn handler's return sends runs on the message's goroutine,
// like a call from that handler, and waits for none). The call then also waits for the handlers of every event
// queued before those. It waits only when a handler of one of its events
// is registered and an event is still queued or running (so a call
// without such handlers pays nothing), and never: with ProcessIdleEvents
// false (the handlers run in DoEvents; a call waiting when it is set, by a
// handler, Config or Reset, returns at once); when called from an event
// handler, a MessageIn handler or a DeadLetter hook of the client (the
// handler would wait for itself, or for an event handler that may be
// waiting for it); or when the call does not wait for its outcome
// (Timeout 0 without a context deadline: it is only queued). A handler is
// recognised by its frames on the caller's stack, looked at only while a
// handler of this client (any of those, or a call Timeout 0 queued) runs;
// they say that the caller runs a handler, not whose. So a call made then
// from a handler of another client of the process (a bridge) is taken for
// one made from this client's handler, and does not wait either, while a
// call from a goroutine that is no handler always waits. The wait is part
// of the call's own bound (Timeout, DisconnectTimeout for Disconnect, its
// context's deadline): if that bound ends while the call waits only for the
// handlers, the call returns its own outcome all the same (nil when it
// succeeded), and the handlers run afterwards. Events the call did not
// cause, such as a MessageOut of a send that does not wait for its
// RECEIPT, may still run after their call returned.
//
// Because a call waits for every handler queued before its events, an
// event handler must not wait for a goroutine that is making such a
// call. The plain form of that trap is a mutex:
//
//	var mu sync.Mutex
//	s.OnReceiptIn(func(e *api.ReceiptInEvent) {
//		mu.Lock() // waits for the goroutine below
//		defer mu.Unlock()
//		// ...
//	})
//	// elsewhere, on a goroutine that is no handler, with RequestReceipts:
//	mu.Lock()
//	err := s.SendMessage("/queue/a", "x") // waits for its RECEIPT, then for
//	mu.Unlock()                           // the handlers queued before it
//
// The send's RECEIPT comes, and the send then waits for the handlers of
// its events and of those queued before them: its own OnReceiptIn
// handler waits for mu, which the sending goroutine holds. Nothing
// deadlocks for good: the send gives up waiting when its Timeout ends
// (60 seconds by default) and returns its own outcome (nil), and the
// handler runs then. Release the lock before the call, or let the
// handler hand its work to another goroutine instead of taking the lock.
//
// # Configuration settings
//
// Config("Name=value") sets and Config("Name") reads a setting; names are
// case-insensitive. Values are written as Config reads them: booleans as
// true or false, durations as whole numbers of the unit named. A number
// out of a setting's range is refused with ErrInvalidArgument, whether it
// comes through Config, a property or an option, never wrapped: durations
// go up to 2147483647 of their unit (KeepAliveTime and KeepAliveInterval
// up to 32767 seconds, the most Linux takes), sizes and counts up to
// 2147483647 unless their row names a lower bound (MaxOutbox 1048576,
// MaxHeaders 65536), ports up to 65535. The parentheses give the default,
// as a new client reads it; "0: 100" means the setting reads 0 and the
// client then uses 100.
//
//	AckTransactionId            transaction automatic and explicit ACKs join ("")
//	CollapseHeaders             keep only the first of repeated header keys (true)
//	ErrorHeaders                read-only: headers of the last ERROR frame, one per line
//	LogLevel                    0 none, 1 info (default), 2 verbose, 3 frames
//	                            (for OnLog and the WithLogger logger alike)
//	OpenTransactions            read-only: open transaction ids, comma-separated
//	ProtocolVersion             read-only: the negotiated version
//	RequestAckReceipts          ACKs and NACKs wait for a RECEIPT (false)
//	RequestSubscriptionReceipts SUBSCRIBE and UNSUBSCRIBE wait for a RECEIPT (false)
//	RequestTransactionReceipts  BEGIN, COMMIT and ABORT wait for a RECEIPT (false)
//	SendCustomFrame             write-only: hex bytes written to the connection as they are
//	ServerInfo                  read-only: the server header of CONNECTED
//	SessionId                   read-only: the session header of CONNECTED
//	SupportedVersions           versions offered, e.g. "1.1,1.2" ("1.0,1.1,1.2")
//	VirtualHost                 host header of CONNECT ("": RemoteHost; RabbitMQ wants "/")
//	ConnectHeaders              not in the reference: extra CONNECT headers, one key:value
//	                            a line, on every attempt; e.g. client-id:NAME for ActiveMQ's
//	                            durable subscriptions ("": none; see WithConnectHeader)
//	ConnectionTimeout           seconds Connect waits (0: Timeout); with Timeout 0 Connect
//	                            does not wait, and it bounds the attempt alone
//	DisconnectTimeout           not in the reference: seconds Disconnect waits for the
//	                            broker's RECEIPT, in place of Timeout (5; 0: Timeout)
//	AbsoluteTimeout             true: every timeout is absolute, and Timeout bounds Connect
//	                            over ConnectionTimeout; false (default): Timeout is an
//	                            inactivity timeout for the sends, Ack, Nack,
//	                            SendCustomFrame and socket writes (once the frame has its
//	                            place in the outgoing queue, they wait on while bytes
//	                            leave; the wait for that place is absolute; a RECEIPT is
//	                            awaited Timeout from the end of the write), absolute for
//	                            every other wait and never for a context's deadline (see
//	                            WithAbsoluteTimeout)
//	ProcessIdleEvents           false queues events for DoEvents (true)
//	SelectWaitMillis            the longest DoEvents waits for an event (20)
//	FirewallAutoDetect, FirewallHost, FirewallPassword, FirewallPort,
//	FirewallType, FirewallUser  the firewall properties (FirewallType 0 none,
//	                            1 HTTP CONNECT tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A)
//	ProxyExceptionsList         hosts reached without the proxy, ";"-separated:
//	                            names (with subdomains), .domain, IPs, CIDRs, each with an
//	                            optional :port (10.0.0.0/8:61613, [2001:db8::/32]:61613), * ("")
//	SSLServerCACerts            PEM CAs trusted beside the system's ("")
//	SSLCACertFilePaths          PEM files of the trusted CAs, one path a line, in
//	                            place of the system's ("": the system's)
//	SSLCACerts                  PEM CAs sent after the client certificate ("")
//	SSLEnabledProtocols         TLS versions, e.g. "TLS1.2,TLS1.3" (the default) or
//	                            the reference's bits (0x3C00); contiguous
//	SSLEnabledCipherSuites      TLS 1.0-1.2 suites by Go name, comma-separated ("": Go's)
//	SSLNegotiatedProtocol       read-only: the last handshake's version ("TLS1.3")
//	SSLNegotiatedCipherSuite    read-only: its suite (Go's name)
//	SSLNegotiatedCipher         read-only: its bulk cipher ("AES_128_GCM")
//	SSLNegotiatedCipherStrength read-only: the cipher's key bits
//	SSLNegotiatedKeyExchange    read-only: "ECDHE_RSA" and so on, or the TLS 1.3 group
//	SSLNegotiatedKeyExchangeStrength
//	                            read-only: bits of the group's key (255 for X25519)
//	ReuseSSLSession             resume the TLS session of the last connection (true)
//	SSLEnableRenegotiation      a TLS 1.2 server may renegotiate once (false)
//	TLS12SupportedGroups, TLS13SupportedGroups, TLS13KeyShareGroups
//	                            key exchange groups, e.g. "ecdhe_x25519,ecdhe_secp256r1"
//	                            ("": Go's); Go has one list for both versions and
//	                            one key share (see WithTLS13SupportedGroups)
//	KeepAliveInterval           milliseconds between TCP keep-alive probes (0: system);
//	                            above 0 also sets TCPKeepAlive, as in the reference
//	KeepAliveTime               idle milliseconds before the first probe (0: system);
//	                            above 0 also sets TCPKeepAlive, as in the reference
//	Linger                      close gracefully (true); false resets the connection
//	LingerTime                  seconds Close waits for unsent data (0: in the background)
//	LocalHost, LocalPort        the local end of connections ("", 0: any)
//	MaxLineLength               longest header line accepted, in bytes (102400)
//	MaxTransferRate             most bytes written per second (0: unlimited)
//	TCPKeepAlive                send TCP keep-alive probes (false; set to true by
//	                            KeepAliveTime or KeepAliveInterval above 0)
//	TcpNoDelay                  Nagle's algorithm off (true)
//	UseIPv6                     auto (default: the resolver's order), only (1, true),
//	                            never (0, false) or ipv6-first (2: IPv4 as fallback)
//	InBufferSize, OutBufferSize socket buffer sizes in bytes (0: system)
//	BuildInfo                   read-only: this module's version, and the Go that built it
//	Prefetch                    not in the reference: unacknowledged messages a broker may
//	                            send a subscription in a client ack mode (0: its QueueSize
//	                            less one, at least 1, whole for Pull; -1: the broker's
//	                            default); see
//	                            SubscribeOptions.Prefetch
//	WebSocketURL                not in the reference: ws:// or wss:// URL to speak
//	                            STOMP over a WebSocket ("": raw TCP)
//	AutoReconnect               not in the reference: reconnect after a lost connection,
//	                            and let Connect try again until a broker answers, under
//	                            ReconnectDelay, MaxReconnectDelay, ReconnectStableAfter
//	                            and MaxReconnectAttempts (false; see Reconnect)
//	ReconnectDelay              not in the reference: milliseconds, the most the first
//	                            attempt waits; each wait is drawn from 0 up to a ceiling
//	                            that doubles with every failed attempt (0: 100)
//	MaxReconnectDelay           not in the reference: milliseconds, the most that ceiling
//	                            grows to, and how long a connection must stay up for it to
//	                            start over unless ReconnectStableAfter says (0: 30000)
//	ReconnectStableAfter        not in the reference: milliseconds a connection must stay
//	                            up for that ceiling, and the count of attempts, to start
//	                            over; one lost sooner counts as a quick death (0:
//	                            MaxReconnectDelay)
//	MaxReconnectAttempts        not in the reference: attempts since the last stable
//	                            connection before the client gives up (0: never)
//	FailoverServers             not in the reference: brokers tried in turn after
//	                            RemoteHost:RemotePort, host:port, comma-separated ("":
//	                            none; not used with a WebSocketURL)
//	AtLeastOnce                 not in the reference: SendMessage and SendData keep each
//	                            message in an outbox until its own RECEIPT, sending it again
//	                            after a reconnect (false; see AtLeastOnce)
//	MaxOutbox                   not in the reference: most messages in the outbox, up to
//	                            1048576, fixed at the first at-least-once send (0: 1024)
//	DedupHeader                 not in the reference: header that carries each
//	                            at-least-once message's id, kept across resends ("": none;
//	                            neither one of the client's own headers nor content-type)
//	MaxBodySize                 not in the reference: largest body taken from the broker,
//	                            in bytes (0: 4194304, 4 MiB)
//	MaxHeaders                  not in the reference: most header lines of a frame taken
//	                            from the broker, up to 65536 (0: 100)
//	MaxFrameSize                not in the reference: largest whole frame taken from the
//	                            broker, in bytes (0: MaxBodySize plus 262144, 256 KiB)
//	HeartbeatTolerance          not in the reference: negotiated incoming heart-beat
//	                            intervals the server may stay silent before the connection
//	                            is deemed dead, a decimal above 1 and up to 100 (0: 1.5,
//	                            or 2.5 with ActiveMQ; see WithHeartbeatTolerance)
//
// Every setting but the read-only ones and LogLevel, CollapseHeaders,
// AbsoluteTimeout, ProcessIdleEvents, SelectWaitMillis, Prefetch,
// DisconnectTimeout, AtLeastOnce, DedupHeader and the
// Request...Receipts and AckTransactionId ones is read by Connect and
// cannot change while connected, or connecting: from a Connect's call
// until it ends, including while a Connect with Timeout 0 waits in the
// queue of calls (the error then says connecting). AtLeastOnce and
// DedupHeader are read by each send, so a change applies to the messages
// sent after it; a message already in the outbox keeps its id and stays
// there until its outcome, sent again after a reconnect, even once
// AtLeastOnce is off. Frame logs follow LogLevel at once: 3
// logs every frame in and out, with the values of the headers named like
// secrets redacted (passcode, authorization, x-auth-token, access-token,
// cookie...: frames.IsSecretHeader).
//
// # Errors
//
// Every error is an *Error with a stable Code; the sentinels match by code
// (errors.Is(err, api.ErrTimeout)). Unwrap gives the cause for logs.
//
//	100 ErrInvalidArgument      an argument or setting value is not valid (also proxy
//	                            settings the proxy protocol cannot carry, with the
//	                            transport.ProxyError of kind ProxyBadRequest as the
//	                            cause: found when set, or by Connect before it dials,
//	                            and never retried)
//	101 ErrUnknownSetting       Config names no setting
//	102 ErrSettingAccess        the setting is read-only or write-only
//	103 ErrConnectedSetting     the setting cannot change while connected
//	104 ErrUnsupported          a feature or setting this version does not implement
//	105 ErrClosed               Close was called; ErrEngineClosed (also 105, so
//	                            errors.Is(err, ErrClosed) holds): the client's
//	                            Engine was closed (actors.Engine.Close)
//	106 ErrEngineInUse          Engine.Close while the engine has connections,
//	                            or of the DefaultEngine
//	200 ErrNotConnected         the call needs a connection
//	201 ErrAlreadyConnected     Connect while connected or connecting
//	202 ErrConnectFailed        the broker could not be reached (also a broker name
//	                            that SOCKS4, which resolves names on the client,
//	                            found no IPv4 address for: the transport.ProxyError
//	                            of kind ProxyUnresolved is the cause; retried)
//	203 ErrConnectionLost       the connection ended during the call
//	204 ErrHeartbeatMissed      the server went silent past its heart-beat
//	205 ErrInterrupted          Interrupt (or Disconnect) ended the call
//	206 ErrQueueFull            a subscription's queue overflowed (FullError)
//	207 ErrCertRejected         the server's TLS certificate was not accepted
//	208 ErrTLSFailed            the TLS handshake failed (versions, suites, alerts),
//	                            or the broker refused the client certificate (with
//	                            TLS 1.3 its alert comes on the first read after the
//	                            handshake; the message says whether one was sent)
//	209 ErrProxyFailed          the proxy was unreachable, refused or misbehaved
//	210 ErrOutcomeUnknown       the connection ended before the broker confirmed or
//	                            refused a frame that asked for a receipt, or the
//	                            call's Timeout or context ended once its frame was
//	                            written (or taken to be): it may or may not have
//	                            taken effect
//	300 ErrTimeout              Timeout or the context's deadline passed before
//	                            anything was written (CloseContext: while
//	                            handlers still ran; the client is closed)
//	301 ErrReceiptTimeout       the broker's RECEIPT did not come in time, or came
//	                            before the frame's last byte was written and the
//	                            socket did not take that byte in time (the frame
//	                            may have taken effect: a RECEIPT that comes later is
//	                            counted in Stats.ReceiptsLate, not an error)
//	302 ErrWouldBlock           Timeout is 0 and the outgoing queue (or the
//	                            at-least-once outbox) is full
//	303 ErrCanceled             the caller's context was canceled before anything
//	                            was written (CloseContext: as for 300)
//	400 ErrUnknownSubscription  no subscription has that id
//	401 ErrUnknownTransaction   no open transaction has that id
//	402 ErrTransactionExists    that transaction is already open
//	403 ErrNoAck                the message needs no acknowledgement
//	404 ErrAlreadyAcked         the message was already acknowledged
//	405 ErrNackUnsupported      NACK needs STOMP 1.1 or later
//	500 ErrProtocol             the server broke the protocol
//	501 ErrFrameLimit           a server frame broke a size limit
//	600 ErrServer               the server sent an ERROR frame (Headers, Body)
//	900 ErrOther                anything else
//
// Passcodes and proxy passwords never appear in a log line, an event, an
// error or a String: frame logs redact the passcode header, and any text
// that echoes a secret of three characters or more, as it is or escaped
// (Go-quoted, as a frame log prints header values, or STOMP
// header-escaped), has it replaced by "<redacted>". A broker's ERROR
// message is scrubbed before it is cut to MaxQuotedText, so the cut never
// leaves a piece of a secret behind; text the library did not cut (a
// broker's own "..." included) loses nothing but whole secrets. The
// settings types that hold secrets (Firewall, SSLSettings) redact them
// however they are printed or logged:
// fmt's verbs (String, GoString), log/slog's handlers (LogValue) and
// encoding/json (MarshalJSON, which describes the settings but cannot
// save them); an inline client store is shown by its kind and length
// only.
//
// # TLS and proxies
//
// Connect dials TCP to the broker, or to the proxy the firewall
// properties name (FirewallAutoDetect: the environment's), asks the proxy
// for a tunnel, and with SSLEnabled runs TLS end to end through it. The
// server's certificate is verified against the trusted roots and
// RemoteHost; OnSSLServerAuthentication sees the verdict and may change
// it. A client certificate comes from PEM or a PKCS#12 store, opened with
// SSLCertStorePassword (which also decrypts an encrypted PEM key), and
// SSLCertSubject picks it: written as fields, as the reference writes a
// subject ("CN=me, O=Example, E=me@example.org"), each field given must
// be one of the certificate's, its value compared whole, never as part
// of the subject's text ("O=Example" does not pick "O=Example, Inc.");
// a partial value without '=' ("me") picks a certificate with a field of
// that value (CN=me), or, failing one, a subject holding it (CN=me-admin).
// Subjects are printed in Go's form (pkix.Name.String, RFC 2253: fields
// joined by "," with no blank, the e-mail field as its OID with the value
// in hex), not the reference's: SSLServerAuthenticationEvent's CertSubject
// and CertIssuer among them. Compare a subject a ported program pinned
// with the fields of SSLServerAuthenticationEvent.Chain[0].Subject
// (CommonName, Organization...), not with the string. TLS
// sessions are resumed (ReuseSSLSession). The settings of the reference
// class that concern another TLS provider, licensing or code pages are
// answered with ErrUnsupported and the reason.
//
// # WebSocket
//
// With WebSocketURL set (WithWebSocketURL), Connect opens a WebSocket to
// that URL and runs STOMP in its messages, as browsers do with RabbitMQ's
// Web-STOMP, ActiveMQ's or Artemis's WebSocket ports: the URL's host and
// port take the place of Connect's, the same proxies apply, and wss://
// runs TLS with the SSL settings above (SSLEnabled need not be set; with
// ws:// it is an error). The upgrade offers the subprotocols of
// SupportedVersions (v12.stomp, v11.stomp, v10.stomp), fails unless the
// server picks one, and a refused upgrade is ErrConnectFailed with the
// HTTP status in its message, returned once the status is in hand (the
// body is quoted only as far as it arrives at once). Frames go out in binary messages; incoming
// text and binary messages are both read, each bounded by the frame limit
// (MaxFrameSize, see ReceiveLimits) plus 256 KiB. The host
// header of CONNECT is still VirtualHost, by default the URL's host:
// RabbitMQ wants "/".
//
// # Metrics
//
// Stats returns a client's counters. Package
// github.com/stompactor/stompactor/api/metrics exports them to Prometheus:
// metrics.NewCollector("orders", s) is a prometheus.Collector of metrics
// named stompactor_*, labelled client="orders", read at scrape time.
//
// # Tracing
//
// WithTracing traces messages with OpenTelemetry, after its messaging
// conventions: a PRODUCER span "send DESTINATION" per message sent (a
// child of the span in the call's context; for an asynchronous or
// at-least-once message it ends at the RECEIPT, resends included), and a
// CONSUMER span "process DESTINATION" around each MessageIn handler, a
// child of the producer's span through the traceparent and tracestate
// headers the message carries (with a W3C propagator), across processes
// and brokers. MessageInEvent.Context gives the handler its span. Off by
// default, it costs nothing then; BenchmarkPublishTracing in package bench
// measures it on. A broker that rewrites headers can break the chain:
// RabbitMQ 3.10 on STOMP 1.0 escapes a colon in MESSAGE header values,
// which changes a tracestate holding one (traceparent holds none).
package api
