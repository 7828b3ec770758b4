package frames

import "fmt"

// Command is a STOMP frame command. The zero value is not a valid command.
type Command uint8

// The STOMP commands, plus Heartbeat, a pseudo-command standing for an
// end-of-line received or sent between frames.
const (
	CmdInvalid Command = iota
	CmdConnect
	CmdStomp
	CmdConnected
	CmdSend
	CmdSubscribe
	CmdUnsubscribe
	CmdAck
	CmdNack
	CmdBegin
	CmdCommit
	CmdAbort
	CmdDisconnect
	CmdMessage
	CmdReceipt
	CmdError
	// Heartbeat is not a wire command: the decoder returns it for each EOL
	// seen between frames, and the encoder writes it as a single EOL.
	Heartbeat
	numCommands
)

// Sender says which side of a connection may send a command.
type Sender uint8

// The sides of a STOMP connection.
const (
	FromClient Sender = 1 << iota
	FromServer
)

type commandInfo struct {
	name     string
	body     bool   // may carry a body
	sender   Sender // who sends it
	since    Version
	noEscape bool // headers are never escaped (CONNECT, STOMP, CONNECTED)
}

// commands is the one table of commands: name, whether it may carry a body,
// which side sends it, the first version that defines it, and whether its
// headers are exempt from escaping.
var commands = [numCommands]commandInfo{
	CmdInvalid:     {name: "INVALID"},
	CmdConnect:     {name: "CONNECT", sender: FromClient, since: V10, noEscape: true},
	CmdStomp:       {name: "STOMP", sender: FromClient, since: V11, noEscape: true},
	CmdConnected:   {name: "CONNECTED", sender: FromServer, since: V10, noEscape: true},
	CmdSend:        {name: "SEND", body: true, sender: FromClient, since: V10},
	CmdSubscribe:   {name: "SUBSCRIBE", sender: FromClient, since: V10},
	CmdUnsubscribe: {name: "UNSUBSCRIBE", sender: FromClient, since: V10},
	CmdAck:         {name: "ACK", sender: FromClient, since: V10},
	CmdNack:        {name: "NACK", sender: FromClient, since: V11},
	CmdBegin:       {name: "BEGIN", sender: FromClient, since: V10},
	CmdCommit:      {name: "COMMIT", sender: FromClient, since: V10},
	CmdAbort:       {name: "ABORT", sender: FromClient, since: V10},
	CmdDisconnect:  {name: "DISCONNECT", sender: FromClient, since: V10},
	CmdMessage:     {name: "MESSAGE", body: true, sender: FromServer, since: V10},
	CmdReceipt:     {name: "RECEIPT", sender: FromServer, since: V10},
	CmdError:       {name: "ERROR", body: true, sender: FromServer, since: V10},
	Heartbeat:      {name: "heart-beat", sender: FromClient | FromServer, since: V11},
}

// String returns the command's wire name ("SEND").
func (c Command) String() string {
	if c < numCommands {
		return commands[c].name
	}
	return fmt.Sprintf("Command(%d)", uint8(c))
}

// Valid reports whether c is a wire command (not CmdInvalid, not Heartbeat).
func (c Command) Valid() bool { return c > CmdInvalid && c < Heartbeat }

// HasBody reports whether frames of this command may carry a body.
func (c Command) HasBody() bool { return c < numCommands && commands[c].body }

// SentBy reports which side of a connection sends this command.
func (c Command) SentBy() Sender {
	if c < numCommands {
		return commands[c].sender
	}
	return 0
}

// Since returns the first protocol version that defines the command.
func (c Command) Since() Version {
	if c < numCommands {
		return commands[c].since
	}
	return 0
}

// escapes reports whether headers of this command are escaped in version v.
func (c Command) escapes(v Version) bool {
	return v >= V11 && !commands[c].noEscape
}

// ParseCommand maps a wire name to its Command. Names are case-sensitive:
// "send" is not a command.
func ParseCommand(name string) (Command, bool) {
	c := lookupCommandBytes([]byte(name))
	return c, c != CmdInvalid
}
