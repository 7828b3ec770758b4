package sim

import "errors"

// ProxyOption configures a Proxy. NewProxy skips a nil ProxyOption.
type ProxyOption interface{ applyProxy(*proxyConfig) }

type proxyOptionFunc func(*proxyConfig)

func (f proxyOptionFunc) applyProxy(c *proxyConfig) {
	if f != nil {
		f(c)
	}
}

// proxyConfig holds the settings of a Proxy; NewProxy fills it.
type proxyConfig struct {
	listen    string
	faultHook func(FaultEvent)
}

func (c *proxyConfig) validate() error {
	if c.listen == "" {
		return errors.New("sim: the proxy needs a listen address")
	}
	return nil
}

// ProxyListenAddr sets the TCP address the proxy listens on. The default
// is DefaultListenAddr, "127.0.0.1:0", an ephemeral loopback port; Addr
// reports the one chosen.
func ProxyListenAddr(addr string) ProxyOption {
	return proxyOptionFunc(func(c *proxyConfig) { c.listen = addr })
}

// ProxyFaultHook has fn called with each FaultEvent as the plan's faults
// act, besides recording it for FaultEvents: a command line can print
// faults as they fire. fn runs on the goroutine of the connection the
// fault acted on, possibly on several at once, and that connection waits
// for it: it must return quickly (hand the event to a bounded queue, say)
// and not call back into the proxy. The default is none.
func ProxyFaultHook(fn func(FaultEvent)) ProxyOption {
	return proxyOptionFunc(func(c *proxyConfig) { c.faultHook = fn })
}
