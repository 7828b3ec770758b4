package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"sync"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/transport"
)

// secureFlags are the TLS and proxy flags; they map onto api's SSL and
// firewall properties.
type secureFlags struct {
	tls         bool
	tlsCA       []string
	tlsCert     string
	tlsCertPass string
	tlsInsecure bool
	proxy       string
	proxyAuto   bool
	// insecureWarned makes the --tls-insecure warning once per run,
	// however many clients (--server) the run builds.
	insecureWarned sync.Once
}

// warnInsecure says on stderr, once per run, that --tls-insecure turned
// certificate verification off: nothing else would say it at run time.
func (f *secureFlags) warnInsecure(stderr io.Writer) {
	if !f.tlsInsecure {
		return
	}
	f.insecureWarned.Do(func() {
		fmt.Fprintln(stderr, "stomp: WARNING: --tls-insecure: the server's certificate is not verified (INSECURE: anyone on the path can impersonate the broker)")
	})
}

func (f *secureFlags) register(cmd *cobra.Command) {
	p := cmd.Flags()
	p.BoolVar(&f.tls, "tls", false, "use TLS (also implied by stomp+ssl:// servers)")
	p.StringArrayVar(&f.tlsCA, "tls-ca", nil, "PEM file of trusted CA certificates, in place of the system's (repeatable)")
	p.StringVar(&f.tlsCert, "tls-cert", "", "client certificate and its key: a PEM file, or a PKCS#12 (.p12/.pfx) file")
	p.StringVar(&f.tlsCertPass, "tls-cert-password", "", "password of a PKCS#12 --tls-cert or of its encrypted PEM key (default $STOMP_TLS_CERT_PASSWORD; never echoed)")
	p.BoolVar(&f.tlsInsecure, "tls-insecure", false, "accept any server certificate without verifying it (INSECURE: tests only; warns on stderr)")
	p.StringVar(&f.proxy, "proxy", "", "proxy URL: socks4://, socks4a://, socks5://user:pass@host:port or http://user:pass@host:port (CONNECT)")
	p.BoolVar(&f.proxyAuto, "proxy-from-env", false, "take the proxy from HTTPS_PROXY / ALL_PROXY, honouring NO_PROXY")
}

// options turns the flags into api options; sslScheme says the server URL
// asked for TLS.
func (f *secureFlags) options(sslScheme bool) ([]api.Option, error) {
	var opts []api.Option
	if f.tls || sslScheme || f.tlsCert != "" || f.tlsInsecure || len(f.tlsCA) > 0 {
		s := api.SSLSettings{Enabled: true, CertStore: f.tlsCert, CertStoreType: api.CertStoreAuto}
		if f.tlsCert != "" {
			s.CertStorePassword = f.tlsCertPass
			if s.CertStorePassword == "" {
				s.CertStorePassword = os.Getenv("STOMP_TLS_CERT_PASSWORD")
			}
		}
		if f.tlsInsecure {
			s.AcceptServerCertEncoded = "*"
		}
		opts = append(opts, api.WithSSL(s))
		if len(f.tlsCA) > 0 {
			opts = append(opts, api.WithSSLCACertFilePaths(f.tlsCA...))
		}
	}
	if f.proxy != "" || f.proxyAuto {
		fw, err := parseProxy(f.proxy)
		if err != nil {
			return nil, err
		}
		fw.AutoDetect = f.proxyAuto
		opts = append(opts, api.WithFirewall(fw))
	}
	return opts, nil
}

func parseProxy(raw string) (api.Firewall, error) {
	if raw == "" {
		return api.Firewall{}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return api.Firewall{}, &usageError{err: badURL("--proxy", raw)}
	}
	if misplacedAt(raw, u) {
		return api.Firewall{}, &usageError{err: misplacedAtErr("--proxy", raw)}
	}
	if u.Host == "" {
		return api.Firewall{}, usagef("--proxy %q: want scheme://[user[:pass]@]host[:port]", transport.RedactURL(raw))
	}
	fw := api.Firewall{}
	switch u.Scheme {
	case "http":
		fw.Type = api.FirewallTunnel
	case "socks4":
		fw.Type = api.FirewallSOCKS4
	case "socks4a":
		fw.Type = api.FirewallSOCKS4A
	case "socks5", "socks5h":
		fw.Type = api.FirewallSOCKS5
	default:
		return api.Firewall{}, usagef("--proxy: unknown scheme %q (http, socks4, socks4a, socks5)", u.Scheme)
	}
	// Hostname takes an IPv6 host out of its brackets, port or none.
	if port := u.Port(); port != "" {
		var err error
		if fw.Port, err = strconv.Atoi(port); err != nil || fw.Port <= 0 || fw.Port > 65535 {
			return api.Firewall{}, usagef("--proxy: bad port %q", port)
		}
	}
	fw.Host = u.Hostname()
	if u.User != nil {
		fw.User = u.User.Username()
		fw.Password, _ = u.User.Password()
	}
	return fw, nil
}
