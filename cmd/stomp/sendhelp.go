package main

// sendLong is send's help (stomp send --help).
const sendLong = "Send a message (the body from the argument, --file, or standard input).\n\n" +
	"Every server ERROR is printed to stderr as it arrives (its message header and body) and ends\n" +
	"the run with exit 1, whether or not the server closes the connection. A broker that does not\n" +
	"confirm DISCONNECT (within --config DisconnectTimeout, 5 seconds by default) may not have the\n" +
	"messages: exit 1, unless --receipt (or --reconnect) had each one confirmed.\n\n" +
	"With --receipt (or --reconnect) each message is confirmed by its own RECEIPT, and up to --window\n" +
	"of them (256 by default) are on their way at once, in input order, so a run is not one round\n" +
	"trip per message, as long as their bodies come to at most --window-bytes (16 MiB by default:\n" +
	"each body is kept until its RECEIPT; a larger one goes alone). What the run counts as sent (its\n" +
	"\"sent N/M\" line, its exit code) is the messages the broker confirmed; a message not confirmed\n" +
	"ends the run with exit 1 and is named (\"message K not confirmed\", the first such), and the\n" +
	"messages behind it that were on their way count only once confirmed. So with a window N (and\n" +
	"the N of --lines' \"after N messages sent\") is a count, not a place in the input: messages\n" +
	"after K may be among the N confirmed. A script that resumes sends again from message K (those\n" +
	"after it that were confirmed then arrive twice), not from message N+1, which would skip K.\n" +
	"The oldest message waiting has --timeout for its RECEIPT, counted from its send or the answer\n" +
	"before it, whichever came later. --window 1 sends one at a time, each\n" +
	"waiting for its RECEIPT before the next; so does --transaction, whatever --window (a window\n" +
	"above 1 is refused with it): its messages are delivered at COMMIT anyway, and the library's\n" +
	"at-least-once outbox, which keeps the window, refuses a message that joins a transaction.\n\n" +
	"With --reconnect a lost connection does not end the run: the client reconnects, through every\n" +
	"--server in turn, and the run goes on. Each message is sent at least once: it waits for its own\n" +
	"RECEIPT (within the window, as with --receipt), and one whose connection was lost before that\n" +
	"RECEIPT is sent again on the next, in order with the others (a copy may reach the broker after\n" +
	"later messages), so the broker may get a message twice (--dedup-header NAME\n" +
	"gives every message an id of its own in header NAME, the same in its copies, for consumers that\n" +
	"drop copies). The messages counted as sent are those the broker confirmed; one not confirmed\n" +
	"within --timeout (an outage longer than that, say) ends the run with exit 1, and may or may not\n" +
	"have arrived. --transaction does not go with --reconnect (exit 2): a transaction ends with its\n" +
	"connection, and a message sent again on the next would be outside it.\n\n" +
	"Without BODY or --file, all of standard input is one message body, read to its end, a trailing\n" +
	"newline kept (`seq 3 | stomp send Q` sends one message \"1\\n2\\n3\\n\"). An empty standard input\n" +
	"(a producer upstream that failed, a closed one) is refused with exit 2 unless --allow-empty.\n\n" +
	"With --lines each line of standard input (or of --file) is a message of its own, its newline\n" +
	"(\\n, or \\r\\n: one carriage return right before it belongs to it) left out, sent as soon as\n" +
	"it is read: `stomp subscribe --count 10 A | tr a-z A-Z | stomp send --lines B`. With -0/--null\n" +
	"the records end with a NUL byte instead (what `stomp subscribe -0` prints), every other byte\n" +
	"kept. A last record without its end is sent too, whole; an empty input sends nothing.\n\n" +
	"With --trace each message starts a new trace, carried in its traceparent header (W3C trace\n" +
	"context), and its id is printed on standard output (\"trace-id: ID\") once the message is sent\n" +
	"(with --receipt or --reconnect, once its RECEIPT came: in order, one line per confirmed message).\n" +
	"A valid traceparent given with -H is kept instead (the new span links to it), and the id\n" +
	"printed is that trace's: always the one the message carries.\n\n" +
	"Ctrl-C (SIGINT) or SIGTERM stops a send gracefully, within 5 seconds: it sends no more of --count\n" +
	"and finishes the message on its way; with --lines or -0 reading a pipe or a file, it sends what\n" +
	"the input still holds, up to its end (a program upstream in the same pipeline got the same\n" +
	"Ctrl-C, so its end comes soon), each still confirmed by its own RECEIPT within the window\n" +
	"(with --window 1 and --receipt, without waiting for a RECEIPT each; with --reconnect each still\n" +
	"waits for its own), and it waits, within those seconds, for the messages on their way. Then it\n" +
	"disconnects (which also waits for them, within DisconnectTimeout), asking for the RECEIPT of\n" +
	"DISCONNECT, which the broker sends once it has every frame before it, and prints one line on\n" +
	"stderr: with --receipt or --reconnect \"interrupted: N confirmed, K sent but not confirmed (may\n" +
	"or may not have arrived)\" (K counts the messages handed to the client and not confirmed, some of\n" +
	"which may never have left it) and, with a window, \"the first not confirmed is message J\", where\n" +
	"a script resumes (messages after J may be among the N confirmed); else\n" +
	"\"interrupted: N sent\" and whether the broker's RECEIPT for DISCONNECT confirmed them; when the\n" +
	"5 seconds end before the input's end (a round trip a record with --reconnect, or an outage),\n" +
	"the line adds \"the input not yet read was not sent\". In a\n" +
	"transaction nothing is committed. The exit code stays 130 (143 for SIGTERM); a second signal\n" +
	"(0.3 s or more after the first: timeout(1) delivers its one twice) ends the run at once, saying\n" +
	"and guaranteeing nothing. So `stomp subscribe -0 --ack client A |\n" +
	"stomp send -0 B` stopped by Ctrl-C sends to B the messages subscribe acknowledged into the pipe;\n" +
	"those still unread after 5 seconds (or after a second Ctrl-C, or when only send was stopped and\n" +
	"the input does not end) are lost, acknowledged on A and never sent. subscribe --count N ends on\n" +
	"its own and leaves nothing behind."
