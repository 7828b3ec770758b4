package actors

// Post queues e for the Events callback, in order after every event the
// engine queued before it, with the same drop rules. The api package uses
// it to report the outcome of calls that did not wait (Timeout 0) and its
// own log lines.
func (c *Client) Post(e Event) { c.disp.post(e) }
