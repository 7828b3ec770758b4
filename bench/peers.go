package bench

import (
	"context"
	"errors"
)

// peers starts each peer role once, when a scenario first needs it.
type peers struct {
	cfg     *Config
	targets map[peerKey]*Target
	stops   []func() error
}

// peerKey is a role, and whether its peer must run in a process of its
// own even when Config.PeerProcess is not set (Scenario.OwnPeer).
type peerKey struct {
	role  Role
	apart bool
}

// forScenario returns the peer of sc: its role's, in a process of its
// own when sc measures this process's memory (Scenario.OwnPeer) and no
// other process does (Config.ClientProcess).
func (ps *peers) forScenario(ctx context.Context, sc Scenario) (*Target, error) {
	return ps.get(ctx, sc.Peer, sc.OwnPeer && len(ps.cfg.ClientProcess) == 0)
}

func (ps *peers) get(ctx context.Context, role Role, apart bool) (*Target, error) {
	key := peerKey{role, apart && len(ps.cfg.PeerProcess) == 0}
	if t, ok := ps.targets[key]; ok {
		return t, nil
	}
	if ps.cfg.Broker != nil && (role == RoleBroker || role == RoleSink) {
		t := *ps.cfg.Broker
		if t.Name == "" {
			t.Name = "broker " + t.Addr
		}
		ps.targets[key] = &t
		return &t, nil
	}
	kind := map[Role]string{RoleSink: KindSink, RoleFirehose: KindFirehose, RoleBroker: KindSim}[role]
	var (
		addr  string
		stop  func() error
		err   error
		where = "in process"
	)
	switch {
	case len(ps.cfg.PeerProcess) > 0:
		where = "own process"
		addr, stop, err = startProcess(ctx, ps.cfg.PeerProcess, ps.cfg.PeerEnv, kind)
	case key.apart:
		// This program, run again: its init serves the peer.
		where = "own process"
		argv, env, serr := selfPeerCommand()
		if serr != nil {
			return nil, serr
		}
		addr, stop, err = startProcess(ctx, argv, append(env, ps.cfg.PeerEnv...), kind)
	default:
		addr, stop, err = startLocal(kind, "")
	}
	if err != nil {
		return nil, err
	}
	ps.stops = append(ps.stops, stop)
	t := &Target{Name: kind + ", " + where, Addr: addr}
	ps.targets[key] = t
	return t, nil
}

func (ps *peers) close() error {
	var errs []error
	for _, stop := range ps.stops {
		errs = append(errs, stop())
	}
	ps.stops = nil
	return errors.Join(errs...)
}
