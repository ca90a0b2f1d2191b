package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// codeLimit is one rate limit of SendCode: at most max requests per window, counted in
// the counter key.
type codeLimit struct {
	key    string
	window time.Duration
	max    int64
}

// SendCode creates a code for phone and purpose and sends it, within the rate limits:
// per source IP per hour, per phone per minute and per phone per day, checked in that
// order; a request refused by one limit still counts against the limits before it. The
// answer never tells who has an account: for reset_password an unknown phone is answered
// like a known one (nothing is sent); for register a taken phone is answered like a free
// one, and gets a notice instead of a code (kyc.PurposeRegisteredNotice), so both cost the
// same store calls and one SMS. Either way the request counts against every limit.
//
// Two store calls: one reads the counters and the phone, one counts and stores the code
// (with the user id, for a reset).
func (s *Service) SendCode(ctx context.Context, rawPhone, purpose, sourceIP string) error {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return err
	}
	if purpose != kyc.PurposeRegister && purpose != kyc.PurposeResetPassword {
		return kyc.FieldError(kyc.EINVALID, "purpose", "must be register or reset_password")
	}
	if s.sms == nil {
		return errors.New("users: SendCode needs an SMS sender")
	}
	now := s.clock.Now()
	limits := []codeLimit{
		{"sms-ip:" + sourceIP, time.Hour, CodesPerIPHour},
		{"sms-min:" + phone, CodeEvery, 1},
		{"sms-day:" + phone, 24 * time.Hour, CodesPerDay},
	}
	keys, ends := make([]string, len(limits)), make([]time.Time, len(limits))
	for i, l := range limits {
		keys[i], ends[i] = l.key, now.Add(l.window)
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	c := kyc.SMSCode{Phone: phone, Purpose: purpose, CodeHash: CodeHash(phone, purpose, code), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}
	send, sendPurpose, sendCode := false, purpose, code
	err = s.store.CountAndPutCode(ctx, c, keys, ends, now, func(counts []int64, userID string) (int, bool, error) {
		send, sendPurpose, sendCode = false, purpose, code // decide runs again when another request counted meanwhile
		for i, n := range counts {
			if n >= limits[i].max {
				// The limits before this one count the request; this one is full already
				// and stays so until its window ends, so counting further changes nothing.
				return i, false, kyc.Errorf(kyc.ETOOMANY, "too many requests, try again later")
			}
		}
		switch {
		case userID != "" && purpose == kyc.PurposeRegister:
			send, sendPurpose, sendCode = true, kyc.PurposeRegisteredNotice, ""
			return len(keys), false, nil
		case userID == "" && purpose == kyc.PurposeResetPassword:
			return len(keys), false, nil
		}
		send = true
		return len(keys), true, nil
	})
	if err != nil {
		return fmt.Errorf("count and store code: %w", err)
	}
	if !send {
		return nil
	}
	if err := s.sms.Send(ctx, phone, sendPurpose, sendCode); err != nil {
		return fmt.Errorf("send code: %w", err)
	}
	s.log.InfoContext(ctx, "sms sent", slog.String("purpose", sendPurpose))
	return nil
}
