package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Webhook items (issue 13):
//
//	Kind       PK                    SK                      notes
//	outbox     OUTBOX#<eventID>      OUTBOX                  written by Transition; due keys (OUTBOX, <at>#<eventID>) until fanned out
//	endpoint   WEBHOOK#<endpointID>  ENDPOINT                Owner, URL, Events, sealed Secrets, Disabled, Version; list keys (WEBHOOKS, <endpointID>)
//	delivery   WEBHOOK#<endpointID>  DELIVERY#<eventID>      the delivery log; due keys (WEBHOOK_DUE, <nextAt>#<endpointID>#<eventID>) while pending
//
// The outbox and the pending deliveries reuse the sparse index GSISubmitted under
// partitions of their own ("OUTBOX", "WEBHOOK_DUE"): it is the table's index of work due
// by time, and a new GSI would need every existing table (a developer's .local one
// included) migrated. ListSubmittedBefore queries only its own partition. Likewise every
// endpoint is listed in GSIPending's partition "WEBHOOKS" (ListPending queries only its
// own), so that fanning an event out reads them all in one Query: endpoints are few (a
// platform's, and a handful per app).
//
// An endpoint and its delivery log share a partition, so the log's page and the endpoint
// (whose owner the route checks) are one Query.
const (
	kindOutbox      = "outbox"
	kindEndpoint    = "endpoint"
	kindDelivery    = "delivery"
	prefixOutbox    = "OUTBOX#"
	skOutbox        = "OUTBOX"
	outboxDuePK     = "OUTBOX"
	endpointsPK     = "WEBHOOKS"
	skEndpoint      = "ENDPOINT"
	prefixWebhook   = "WEBHOOK#"
	prefixDelivery  = "DELIVERY#"
	deliveryDuePK   = "WEBHOOK_DUE"
	maxFanOut       = 99 // TransactWriteItems holds 100 items: the outbox delete and 99 deliveries
	maxEndpointList = 1000
)

func outboxKey(id string) item             { return key(prefixOutbox+id, skOutbox) }
func endpointKey(id string) item           { return key(prefixWebhook+id, skEndpoint) }
func deliveryKey(endpoint, ev string) item { return key(prefixWebhook+endpoint, prefixDelivery+ev) }

// outboxPut is the outbox item of the event t announces (nil when none), put in t's own
// transaction on condition that it is new: a version is written once, so is its event.
func (s *Store) outboxPut(t kyc.Transition) (*types.TransactWriteItem, error) {
	ev, ok, err := webhook.OutboxOf(t)
	if err != nil {
		// Only a bug in TransitionEvent gets here; refusing the transition keeps the rule
		// that no decision is written without its event.
		return nil, fmt.Errorf("dynamo: outbox event: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return &types.TransactWriteItem{Put: &types.Put{
		TableName:           s.table,
		Item:                encodeOutbox(ev),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}, nil
}

func encodeOutbox(ev webhook.OutboxEvent) item {
	it := outboxKey(ev.ID)
	it[attrKind] = sv(kindOutbox)
	it["EventID"] = sv(ev.ID)
	it["Type"] = sv(ev.Type)
	it[attrAccountID] = sv(ev.AccountID)
	it["At"] = tv(ev.At)
	if ev.App != "" {
		it["App"] = sv(ev.App)
	}
	it["Body"] = &types.AttributeValueMemberB{Value: ev.Body}
	it[AttrSubmittedPK] = sv(outboxDuePK)
	it[AttrSubmittedSK] = sv(fmtTime(ev.At) + "#" + ev.ID)
	return it
}

func decodeOutbox(it item) (webhook.OutboxEvent, error) {
	d := decoder{it: it}
	d.kind(kindOutbox)
	ev := webhook.OutboxEvent{ID: d.str("EventID"), Type: d.str("Type"), AccountID: d.str(attrAccountID), App: d.str("App"), At: d.time("At"), Body: d.bytes("Body")}
	if d.err != nil {
		return webhook.OutboxEvent{}, fmt.Errorf("decode outbox event: %w", d.err)
	}
	return ev, nil
}

// bytes reads a binary attribute; absent is nil.
func (d *decoder) bytes(name string) []byte {
	v, ok := d.it[name]
	if !ok {
		return nil
	}
	b, ok := v.(*types.AttributeValueMemberB)
	if !ok {
		d.fail(name, "binary")
		return nil
	}
	return b.Value
}

// dueQuery lists up to limit items of a due partition whose due key is before t, oldest
// first: one Query per 1 MB.
func (s *Store) dueQuery(ctx context.Context, pk string, t time.Time, limit int) ([]item, error) {
	limit = max(1, min(limit, maxSubmittedList))
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(GSISubmitted),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk < :before"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrSubmittedPK, "#sk": AttrSubmittedSK},
		ExpressionAttributeValues: item{":pk": sv(pk), ":before": sv(fmtTime(t))},
		ScanIndexForward:          aws.Bool(true),
	}
	var out []item
	for {
		in.Limit = aws.Int32(int32(limit - len(out)))
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.LastEvaluatedKey == nil || len(out) >= limit {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// ListOutboxBefore returns up to limit events written before t and not yet fanned out,
// oldest first: the sweeper's work list. One Query on GSISubmitted (eventually
// consistent: an event written a moment ago may be missing, which is why the sweeper only
// asks for ones older than a minute).
func (s *Store) ListOutboxBefore(ctx context.Context, t time.Time, limit int) ([]webhook.OutboxEvent, error) {
	items, err := s.dueQuery(ctx, outboxDuePK, t, limit)
	if err != nil {
		return nil, fmt.Errorf("dynamo: list outbox: %w", err)
	}
	evs := make([]webhook.OutboxEvent, 0, len(items))
	for _, it := range items {
		ev, err := decodeOutbox(it)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list outbox: %w", err)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// GetOutbox is one strongly consistent GetItem of an outbox event; ENOTFOUND once it has
// been fanned out (or never was).
func (s *Store) GetOutbox(ctx context.Context, id string) (webhook.OutboxEvent, error) {
	it, err := s.get(ctx, outboxKey(id))
	if err != nil {
		return webhook.OutboxEvent{}, fmt.Errorf("dynamo: get outbox: %w", err)
	}
	if it == nil {
		return webhook.OutboxEvent{}, notFound("Event")
	}
	return decodeOutbox(it)
}

// FanOut deletes the outbox event ev and puts its deliveries (at most 99: one per
// matching endpoint) in one transaction, on condition that the event is still in the
// outbox: of two workers fanning out the same event (the dispatcher's message and a
// sweeper's), exactly one writes; the other gets ECONFLICT and drops its message. One call.
func (s *Store) FanOut(ctx context.Context, ev webhook.OutboxEvent, ds []webhook.Delivery) error {
	if len(ds) > maxFanOut {
		return kyc.Errorf(kyc.EINVALID, "an event fans out to at most %d endpoints", maxFanOut)
	}
	items := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName:           s.table,
		Key:                 outboxKey(ev.ID),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	}}}
	for _, d := range ds {
		d.Version = 1
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:           s.table,
			Item:                encodeDelivery(d),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}})
	}
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return kyc.Errorf(kyc.ECONFLICT, "event already fanned out")
		}
		return fmt.Errorf("dynamo: fan out event: %w", err)
	}
	return nil
}

func encodeEndpoint(e webhook.Endpoint) item {
	it := endpointKey(e.ID)
	it[attrKind] = sv(kindEndpoint)
	it["EndpointID"] = sv(e.ID)
	it["OwnerKind"] = sv(string(e.Owner.Kind))
	it["OwnerID"] = sv(e.Owner.ID)
	it["URL"] = sv(e.URL)
	it["Events"] = lv(e.Events)
	secrets := make([]types.AttributeValue, len(e.Secrets))
	for i, sec := range e.Secrets {
		m := item{"Sealed": &types.AttributeValueMemberB{Value: sec.Sealed}}
		if !sec.NotAfter.IsZero() {
			m["NotAfter"] = tv(sec.NotAfter)
		}
		secrets[i] = &types.AttributeValueMemberM{Value: m}
	}
	it["Secrets"] = &types.AttributeValueMemberL{Value: secrets}
	it["Disabled"] = bv(e.Disabled)
	it["CreatedAt"] = tv(e.CreatedAt)
	it["UpdatedAt"] = tv(e.UpdatedAt)
	it[AttrVersion] = nv(e.Version)
	it[AttrPendingPK] = sv(endpointsPK)
	it[AttrPendingSK] = sv(e.ID)
	return it
}

func decodeEndpoint(it item) (webhook.Endpoint, error) {
	d := decoder{it: it}
	d.kind(kindEndpoint)
	e := webhook.Endpoint{
		ID:        d.str("EndpointID"),
		Owner:     webhook.Owner{Kind: webhook.OwnerKind(d.str("OwnerKind")), ID: d.str("OwnerID")},
		URL:       d.str("URL"),
		Events:    d.strs("Events"),
		Disabled:  d.bool("Disabled"),
		CreatedAt: d.time("CreatedAt"),
		UpdatedAt: d.time("UpdatedAt"),
		Version:   d.int(AttrVersion),
	}
	if l, ok := it["Secrets"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			m, ok := v.(*types.AttributeValueMemberM)
			if !ok {
				d.fail("Secrets", "a list of maps")
				break
			}
			sd := decoder{it: m.Value}
			sec := webhook.SealedSecret{Sealed: sd.bytes("Sealed")}
			if _, ok := m.Value["NotAfter"]; ok {
				sec.NotAfter = sd.time("NotAfter")
			}
			if sd.err != nil && d.err == nil {
				d.err = sd.err
			}
			e.Secrets = append(e.Secrets, sec)
		}
	}
	if d.err != nil {
		return webhook.Endpoint{}, fmt.Errorf("decode endpoint: %w", d.err)
	}
	return e, nil
}

// PutEndpoint stores a new endpoint (Version 1, returned) on condition that its id is
// new: one call. EEXISTS otherwise.
func (s *Store) PutEndpoint(ctx context.Context, e webhook.Endpoint) (webhook.Endpoint, error) {
	e.Version = 1
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.table,
		Item:                encodeEndpoint(e),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if err != nil {
		if _, failed := conditionFailedItem(err); failed {
			return webhook.Endpoint{}, kyc.Errorf(kyc.EEXISTS, "endpoint exists")
		}
		return webhook.Endpoint{}, fmt.Errorf("dynamo: put endpoint: %w", err)
	}
	return e, nil
}

// UpdateEndpoint writes e (rotated secrets, disabled) if the stored endpoint is still at
// e.Version: one call; ECONFLICT if it moved on, ENOTFOUND if it is gone. Returns e at its
// next version.
func (s *Store) UpdateEndpoint(ctx context.Context, e webhook.Endpoint) (webhook.Endpoint, error) {
	read := e.Version
	e.Version = read + 1
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           s.table,
		Item:                                encodeEndpoint(e),
		ConditionExpression:                 aws.String("#ver = :read"),
		ExpressionAttributeNames:            map[string]string{"#ver": AttrVersion},
		ExpressionAttributeValues:           item{":read": nv(read)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		if stored, failed := conditionFailedItem(err); failed {
			if stored == nil {
				return webhook.Endpoint{}, notFound("Endpoint")
			}
			return webhook.Endpoint{}, errMovedOn()
		}
		return webhook.Endpoint{}, fmt.Errorf("dynamo: update endpoint: %w", err)
	}
	return e, nil
}

// DeleteEndpoint deletes the endpoint if it is still at version: one call. Its delivery
// log stays (deliveries of a deleted endpoint are dropped by the worker). ENOTFOUND if
// gone, ECONFLICT if changed since read.
func (s *Store) DeleteEndpoint(ctx context.Context, id string, version int64) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           s.table,
		Key:                                 endpointKey(id),
		ConditionExpression:                 aws.String("#ver = :read"),
		ExpressionAttributeNames:            map[string]string{"#ver": AttrVersion},
		ExpressionAttributeValues:           item{":read": nv(version)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		if stored, failed := conditionFailedItem(err); failed {
			if stored == nil {
				return notFound("Endpoint")
			}
			return errMovedOn()
		}
		return fmt.Errorf("dynamo: delete endpoint: %w", err)
	}
	return nil
}

// GetEndpoint is one strongly consistent GetItem; ENOTFOUND if there is none.
func (s *Store) GetEndpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	if id == "" {
		return webhook.Endpoint{}, notFound("Endpoint")
	}
	it, err := s.get(ctx, endpointKey(id))
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("dynamo: get endpoint: %w", err)
	}
	if it == nil {
		return webhook.Endpoint{}, notFound("Endpoint")
	}
	return decodeEndpoint(it)
}

// ListEndpoints returns every endpoint, in id order: one Query of their index partition
// (eventually consistent: an endpoint registered a moment before an event may miss it;
// more calls only past 1 MB, some thousands of endpoints).
func (s *Store) ListEndpoints(ctx context.Context) ([]webhook.Endpoint, error) {
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(GSIPending),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPendingPK},
		ExpressionAttributeValues: item{":pk": sv(endpointsPK)},
	}
	var eps []webhook.Endpoint
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list endpoints: %w", err)
		}
		for _, it := range out.Items {
			e, err := decodeEndpoint(it)
			if err != nil {
				return nil, fmt.Errorf("dynamo: list endpoints: %w", err)
			}
			eps = append(eps, e)
		}
		if out.LastEvaluatedKey == nil || len(eps) >= maxEndpointList {
			return eps, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func encodeDelivery(d webhook.Delivery) item {
	it := deliveryKey(d.EndpointID, d.EventID)
	it[attrKind] = sv(kindDelivery)
	it["EndpointID"] = sv(d.EndpointID)
	it["EventID"] = sv(d.EventID)
	it["EventType"] = sv(d.EventType)
	it["Body"] = &types.AttributeValueMemberB{Value: d.Body}
	it["State"] = sv(d.State)
	it[attrAttempts] = nv(int64(d.Attempts))
	it["Failures"] = nv(int64(d.Failures))
	it["LastStatus"] = nv(int64(d.LastStatus))
	it["LastError"] = sv(d.LastError)
	it["NextAt"] = tv(d.NextAt)
	it["CreatedAt"] = tv(d.CreatedAt)
	it["UpdatedAt"] = tv(d.UpdatedAt)
	it[AttrVersion] = nv(d.Version)
	if d.State == webhook.DeliveryPending {
		it[AttrSubmittedPK] = sv(deliveryDuePK)
		it[AttrSubmittedSK] = sv(fmtTime(d.NextAt) + "#" + d.EndpointID + "#" + d.EventID)
	}
	return it
}

func decodeDelivery(it item) (webhook.Delivery, error) {
	d := decoder{it: it}
	d.kind(kindDelivery)
	out := webhook.Delivery{
		EndpointID: d.str("EndpointID"),
		EventID:    d.str("EventID"),
		EventType:  d.str("EventType"),
		Body:       d.bytes("Body"),
		State:      d.str("State"),
		Attempts:   int(d.int(attrAttempts)),
		Failures:   int(d.int("Failures")),
		LastStatus: int(d.int("LastStatus")),
		LastError:  d.str("LastError"),
		NextAt:     d.time("NextAt"),
		CreatedAt:  d.time("CreatedAt"),
		UpdatedAt:  d.time("UpdatedAt"),
		Version:    d.int(AttrVersion),
	}
	if d.err != nil {
		return webhook.Delivery{}, fmt.Errorf("decode delivery: %w", d.err)
	}
	return out, nil
}

// GetDeliveryAndEndpoint reads a delivery and its endpoint in one strongly consistent
// TransactGetItems: one call. ENOTFOUND names the delivery when it is missing; a missing
// endpoint (deleted) is the zero endpoint, ID "".
func (s *Store) GetDeliveryAndEndpoint(ctx context.Context, endpointID, eventID string) (webhook.Delivery, webhook.Endpoint, error) {
	out, err := s.client.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: s.table, Key: deliveryKey(endpointID, eventID)}},
		{Get: &types.Get{TableName: s.table, Key: endpointKey(endpointID)}},
	}})
	if err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, fmt.Errorf("dynamo: get delivery: %w", err)
	}
	if len(out.Responses) != 2 || out.Responses[0].Item == nil {
		return webhook.Delivery{}, webhook.Endpoint{}, notFound("Delivery")
	}
	d, err := decodeDelivery(out.Responses[0].Item)
	if err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, fmt.Errorf("dynamo: get delivery: %w", err)
	}
	var e webhook.Endpoint
	if it := out.Responses[1].Item; it != nil {
		if e, err = decodeEndpoint(it); err != nil {
			return webhook.Delivery{}, webhook.Endpoint{}, fmt.Errorf("dynamo: get delivery: %w", err)
		}
	}
	return d, e, nil
}

// RecordAttempt writes d (the outcome of an attempt, or a replay) if the stored delivery
// is still at d.Version, and, when disable is given, the endpoint as disabled (at its
// version) in the same transaction: one call. ECONFLICT if either moved on: another
// worker recorded this attempt already. Returns d at its next version.
func (s *Store) RecordAttempt(ctx context.Context, d webhook.Delivery, disable *webhook.Endpoint) (webhook.Delivery, error) {
	read := d.Version
	d.Version = read + 1
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                 s.table,
		Item:                      encodeDelivery(d),
		ConditionExpression:       aws.String("#ver = :read"),
		ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
		ExpressionAttributeValues: item{":read": nv(read)},
	}}}
	if disable != nil {
		e := *disable
		e.Disabled, e.Version = true, disable.Version+1
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                 s.table,
			Item:                      encodeEndpoint(e),
			ConditionExpression:       aws.String("#ver = :read"),
			ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
			ExpressionAttributeValues: item{":read": nv(disable.Version)},
		}})
	}
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return webhook.Delivery{}, errMovedOn()
		}
		return webhook.Delivery{}, fmt.Errorf("dynamo: record attempt: %w", err)
	}
	return d, nil
}

// GetEndpointAndDeliveries reads an endpoint and up to limit (1..100) of its delivery
// log, last event id first, in one strongly consistent Query of the endpoint's
// partition. ENOTFOUND when there is no such endpoint.
func (s *Store) GetEndpointAndDeliveries(ctx context.Context, endpointID string, limit int) (webhook.Endpoint, []webhook.Delivery, error) {
	if endpointID == "" {
		return webhook.Endpoint{}, nil, notFound("Endpoint")
	}
	limit = max(1, min(limit, maxPendingPage))
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK},
		ExpressionAttributeValues: item{":pk": sv(prefixWebhook + endpointID)},
		// ENDPOINT sorts after every DELIVERY#: backwards it comes first.
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit + 1)),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return webhook.Endpoint{}, nil, fmt.Errorf("dynamo: get endpoint and deliveries: %w", err)
	}
	if len(out.Items) == 0 || (&decoder{it: out.Items[0]}).str(attrKind) != kindEndpoint {
		return webhook.Endpoint{}, nil, notFound("Endpoint")
	}
	e, err := decodeEndpoint(out.Items[0])
	if err != nil {
		return webhook.Endpoint{}, nil, fmt.Errorf("dynamo: get endpoint and deliveries: %w", err)
	}
	ds := make([]webhook.Delivery, 0, len(out.Items)-1)
	for _, it := range out.Items[1:] {
		d, err := decodeDelivery(it)
		if err != nil {
			return webhook.Endpoint{}, nil, fmt.Errorf("dynamo: get endpoint and deliveries: %w", err)
		}
		ds = append(ds, d)
	}
	return e, ds, nil
}

// ListDueDeliveries returns up to limit pending deliveries whose next try is before t,
// oldest first: the sweeper's second work list (a hop message SQS lost, or a worker that
// died between recording an attempt and queueing the next). One Query.
func (s *Store) ListDueDeliveries(ctx context.Context, t time.Time, limit int) ([]webhook.Delivery, error) {
	items, err := s.dueQuery(ctx, deliveryDuePK, t, limit)
	if err != nil {
		return nil, fmt.Errorf("dynamo: list due deliveries: %w", err)
	}
	ds := make([]webhook.Delivery, 0, len(items))
	for _, it := range items {
		d, err := decodeDelivery(it)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list due deliveries: %w", err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// conditionFailedItem reports whether a single-item write failed its condition, and the
// stored item it saw.
func conditionFailedItem(err error) (item, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}
