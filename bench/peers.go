package bench

import (
	"context"
	"errors"
)

// peers starts each peer role once, when a scenario first needs it.
type peers struct {
	cfg     *Config
	targets map[Role]*Target
	stops   []func() error
}

func (ps *peers) get(ctx context.Context, role Role) (*Target, error) {
	if t, ok := ps.targets[role]; ok {
		return t, nil
	}
	if ps.cfg.Broker != nil && (role == RoleBroker || role == RoleSink) {
		t := *ps.cfg.Broker
		if t.Name == "" {
			t.Name = "broker " + t.Addr
		}
		ps.targets[role] = &t
		return &t, nil
	}
	kind := map[Role]string{RoleSink: KindSink, RoleFirehose: KindFirehose, RoleBroker: KindSim}[role]
	var (
		addr  string
		stop  func() error
		err   error
		where = "in process"
	)
	if len(ps.cfg.PeerProcess) > 0 {
		where = "own process"
		addr, stop, err = startProcess(ctx, ps.cfg.PeerProcess, ps.cfg.PeerEnv, kind)
	} else {
		addr, stop, err = startLocal(kind, "")
	}
	if err != nil {
		return nil, err
	}
	ps.stops = append(ps.stops, stop)
	t := &Target{Name: kind + ", " + where, Addr: addr}
	ps.targets[role] = t
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
