#!/usr/bin/env python3
"""Publish and consume with stomp.py through a connection that gets cut.

A rehearsal of a broker failure for a client stompactor did not write: run
it against `stomp proxy` in front of a real broker with planned connection
drops (README, "Rehearse a broker failure with any client"). It sends
--count numbered messages, each confirmed by a RECEIPT and sent again after
a reconnect when its receipt never came; then it consumes them with
client-individual acks, reconnecting and subscribing again when the
connection is lost, and drops redelivered copies by number.

One line per step on stdout. Exit status: 0 every message was confirmed
and received; 1 a failure (no reconnect, broker ERROR); 2 bad usage;
3 --deadline passed.

    python3 scripts/stomppy-reconnect.py --port 61613 --queue /queue/rehearsal

Needs stomp.py (Debian: apt-get install python3-stomp).
"""

import argparse
import collections
import logging
import os
import sys
import threading
import time

import stomp

CONNECT_TIMEOUT = 10.0  # seconds for CONNECTED after each attempt
RECEIPT_TIMEOUT = 10.0  # seconds for the RECEIPT of one SEND
RECEIVE_TIMEOUT = 15.0  # seconds without a MESSAGE before giving up
ATTEMPTS = 10  # connection attempts after each loss
INBOX_MAX = 10000  # frames held between the receiver thread and main


class Failed(Exception):
    """The rehearsal cannot go on."""


class Lost(Exception):
    """The connection was lost; reconnect and go on."""


def say(line):
    print(line, flush=True)


class Listener(stomp.ConnectionListener):
    """Hands what the receiver thread sees to the main thread."""

    def __init__(self):
        self.cond = threading.Condition()
        self.state = None  # None (connecting), "connected" or "lost"
        self.server = ""
        self.error = None
        self.receipts = set()
        self.inbox = collections.deque()

    def begin(self):
        """Forget the previous connection, before a connection attempt."""
        with self.cond:
            self.state, self.error = None, None
            self.receipts.clear()
            self.inbox.clear()

    def on_connected(self, frame):
        with self.cond:
            self.state = "connected"
            self.server = frame.headers.get("server", "unknown")
            self.cond.notify_all()

    def on_disconnected(self):
        with self.cond:
            self.state = "lost"
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.error = frame.headers.get("message", "ERROR frame")
            self.cond.notify_all()

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_message(self, frame):
        with self.cond:
            while len(self.inbox) >= INBOX_MAX and self.state == "connected":
                self.cond.wait(1.0)  # backpressure on the receiver thread
            self.inbox.append(frame)
            self.cond.notify_all()

    def wait(self, ready, timeout):
        """Wait until ready() holds, the connection ends or an ERROR came."""
        with self.cond:
            self.cond.wait_for(lambda: ready() or self.state == "lost" or self.error, timeout)
            if self.error:
                raise Failed("broker ERROR: " + self.error)
            if self.state == "lost":
                raise Lost()
            return ready()


class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.lis = Listener()
        self.conn = stomp.Connection12(
            [(args.host, args.port)], vhost=args.vhost, heartbeats=(0, 0),
            reconnect_attempts_max=1, timeout=CONNECT_TIMEOUT)
        self.conn.set_listener("rehearsal", self.lis)
        self.reconnects = 0
        self.run_id = "%d-%d" % (os.getpid(), int(time.time()))

    def connect(self):
        for attempt in range(1, ATTEMPTS + 1):
            self.lis.begin()
            try:
                self.conn.connect(self.args.login, self.args.passcode, wait=False)
                if self.lis.wait(lambda: self.lis.state == "connected", CONNECT_TIMEOUT):
                    return attempt
                say("  attempt %d: no CONNECTED within %gs" % (attempt, CONNECT_TIMEOUT))
                self.await_end()
            except (stomp.exception.ConnectFailedException, stomp.exception.NotConnectedException, OSError, Lost):
                say("  attempt %d: connection failed" % attempt)
            time.sleep(min(0.2 * attempt, 2.0))
        raise Failed("no connection after %d attempts" % ATTEMPTS)

    def await_end(self):
        """Wait for the old receiver thread to report the end of its
        connection (a failed send can come first), so that two never read
        one socket."""
        with self.lis.cond:
            if self.lis.cond.wait_for(lambda: self.lis.state == "lost", CONNECT_TIMEOUT):
                return
        self.conn.transport.disconnect_socket()
        with self.lis.cond:
            if not self.lis.cond.wait_for(lambda: self.lis.state == "lost", CONNECT_TIMEOUT):
                raise Failed("the lost connection's receiver did not stop")

    def reconnect(self, why):
        say("connection lost %s: reconnecting" % why)
        self.await_end()
        self.reconnects += 1
        attempts = self.connect()
        say("reconnected after %d attempt%s" % (attempts, "" if attempts == 1 else "s"))

    def publish(self):
        dest, n, resent = self.args.queue, 1, 0
        while n <= self.args.count:
            rid = "%s-send-%d" % (self.run_id, n)
            try:
                self.conn.send(dest, "message %d" % n, headers={"receipt": rid})
                if not self.lis.wait(lambda: rid in self.lis.receipts, RECEIPT_TIMEOUT):
                    raise Failed("no RECEIPT for message %d within %gs" % (n, RECEIPT_TIMEOUT))
            except (Lost, stomp.exception.NotConnectedException, OSError):
                self.reconnect("before the RECEIPT of message %d, which is sent again" % n)
                resent += 1
                continue
            say("sent %d, confirmed" % n)
            n += 1
        return resent

    def subscribe(self):
        self.conn.subscribe(self.args.queue, id="1", ack="client-individual")
        say("subscribed to %s with client-individual acks" % self.args.queue)

    def consume(self):
        seen, copies = set(), 0
        self.subscribe()
        while len(seen) < self.args.count:
            try:
                if not self.lis.wait(lambda: self.lis.inbox, RECEIVE_TIMEOUT):
                    raise Failed("no MESSAGE within %gs (%d of %d received)" % (RECEIVE_TIMEOUT, len(seen), self.args.count))
                with self.lis.cond:
                    frame = self.lis.inbox.popleft()
                    self.lis.cond.notify_all()
                n = int(frame.body.split()[-1])
                if n in seen:
                    copies += 1
                    say("received %d again (redelivered: dropped)" % n)
                else:
                    seen.add(n)
                    say("received %d" % n)
                self.conn.ack(frame.headers["ack"])
            except (Lost, stomp.exception.NotConnectedException, OSError):
                self.reconnect("after %d of %d messages" % (len(seen), self.args.count))
                self.subscribe()
        return len(seen), copies

    def run(self):
        say("stomp.py %s: connecting to %s:%d" % (".".join(map(str, stomp.__version__)), self.args.host, self.args.port))
        self.connect()
        say("connected to %s" % self.lis.server)
        resent = self.publish()
        got, copies = self.consume()
        self.lis.begin()
        self.conn.disconnect(receipt="%s-bye" % self.run_id)
        say("done: %d sent and confirmed (%d sent again after a cut), %d received (%d redelivered copies dropped), %d reconnects"
            % (self.args.count, resent, got, copies, self.reconnects))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--queue", default="/queue/stomppy-rehearsal")
    p.add_argument("--count", type=int, default=6)
    p.add_argument("--login", default="guest")
    p.add_argument("--passcode", default="guest")
    p.add_argument("--vhost", default="/")
    p.add_argument("--deadline", type=float, default=120.0, help="seconds before giving up (exit 3)")
    p.add_argument("-v", "--verbose", action="store_true", help="show stomp.py's own log on stderr")
    args = p.parse_args()
    if args.count < 1:
        p.error("--count must be at least 1")
    # stomp.py logs a failed send with a traceback; here that is the
    # rehearsal working, and the line above says so.
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL)

    def give_up():
        say("gave up: not done after %gs" % args.deadline)
        os._exit(3)

    watchdog = threading.Timer(args.deadline, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        Rehearsal(args).run()
    except Failed as e:
        say("failed: %s" % e)
        return 1
    finally:
        watchdog.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
