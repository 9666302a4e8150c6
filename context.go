package zhengzhao

import "context"

// ActorKind says who is acting.
type ActorKind string

// Actor kinds.
const (
	ActorAnonymous ActorKind = "anonymous"
	ActorAdmin     ActorKind = "admin"  // the library's administrator (综合管理部门 / 市大数据中心)
	ActorUnit      ActorKind = "unit"   // an issuing, using or social unit authenticated by its key
	ActorHolder    ActorKind = "holder" // a signed-in holder (持证主体)
	ActorSystem    ActorKind = "system" // the library itself (demo loader, scheduled jobs)
)

// Actor is the authenticated party behind a request. The transport puts it
// into the context; the library reads it to decide what is allowed and to
// name the actor in audit entries.
type Actor struct {
	Kind ActorKind
	// Unit is set when Kind is ActorUnit.
	Unit *Unit
	// HolderIDType and HolderID are set when Kind is ActorHolder.
	HolderIDType string
	HolderID     string
	// ProxyIDType and ProxyID name the person acting for the holder as a
	// proxy (代办), under the authorization ProxyAuthorization; empty when
	// the holder acts themself.
	ProxyIDType        string
	ProxyID            string
	ProxyAuthorization string
}

// ID returns the actor as it is written in audit entries:
// "admin", "system", "anonymous", "unit:<code>", "holder:<id type>:<id>",
// or, for a proxy acting for a holder,
// "holder:<id type>:<id>/proxy:<id type>:<id>".
func (a Actor) ID() string {
	switch a.Kind {
	case ActorUnit:
		if a.Unit != nil {
			return "unit:" + a.Unit.Code
		}
	case ActorHolder:
		if a.ProxyID != "" {
			return "holder:" + a.HolderIDType + ":" + a.HolderID + "/proxy:" + a.ProxyIDType + ":" + a.ProxyID
		}
		return "holder:" + a.HolderIDType + ":" + a.HolderID
	case "":
		return string(ActorAnonymous)
	}
	return string(a.Kind)
}

// IsUnit reports whether the actor is the unit with the given code.
func (a Actor) IsUnit(code string) bool {
	return a.Kind == ActorUnit && a.Unit != nil && a.Unit.Code == code
}

// Holder returns the holder the actor acts as (or for); zero unless Kind
// is ActorHolder.
func (a Actor) Holder() HolderRef {
	if a.Kind != ActorHolder {
		return HolderRef{}
	}
	return HolderRef{IDType: a.HolderIDType, ID: a.HolderID}
}

// IsProxy reports whether a proxy acts for the holder.
func (a Actor) IsProxy() bool { return a.Kind == ActorHolder && a.ProxyID != "" }

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that carries the actor.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or the anonymous actor.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: ActorAnonymous}
}
