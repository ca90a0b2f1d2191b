// Package snssms sends SMS codes through Amazon SNS: a kyc.SMSSender for the Lambda
// functions. Each code is one direct Publish to the phone (no topic), as a Transactional
// SMS, because a one-time code is time-critical and SNS routes Transactional messages
// for reliability rather than cost.
//
// The phone number and the code never appear in an error this package returns, nor in
// anything it logs (it logs nothing): error texts end up in CloudWatch, and both are
// personal data (the code is also a short-lived credential).
package snssms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// SNS's SMS message attributes
// (https://docs.aws.amazon.com/sns/latest/dg/sms_publish-to-phone.html).
const (
	attrSMSType  = "AWS.SNS.SMS.SMSType"
	attrSenderID = "AWS.SNS.SMS.SenderID"
	smsTransact  = "Transactional"
)

// CountryPrefix is put before the 11-digit mainland China mobile number callers pass,
// giving the E.164 form SNS wants.
const CountryPrefix = "+86"

// maxMessageChars is SNS's limit for the text of one SMS Publish (it splits longer texts
// into several SMS itself, at most 1,600 characters in all).
const maxMessageChars = 1600

// Options configure a Sender. The zero value sends DefaultMessage with no sender ID.
type Options struct {
	// SenderID is shown as the sender where the destination country supports
	// alphanumeric sender IDs (mainland China does not: there the carrier shows its own
	// number, and SNS ignores the attribute). 1 to 11 letters and digits, at least one
	// letter. Empty means none is sent.
	SenderID string
	// Message makes the SMS text for a purpose (kyc.PurposeRegister or
	// kyc.PurposeResetPassword) and code. nil means DefaultMessage.
	Message func(purpose, code string) string
}

// Validate reports whether the options can be used, so that the wiring can refuse bad
// configuration at start-up rather than at the first SMS.
func (o Options) Validate() error {
	if o.SenderID == "" {
		return nil
	}
	letter := false
	for _, r := range o.SenderID {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
			letter = true
		case r >= '0' && r <= '9':
		default:
			return fmt.Errorf("sns sms options: sender ID %q may hold only letters and digits", o.SenderID)
		}
	}
	if len(o.SenderID) > 11 || !letter {
		return fmt.Errorf("sns sms options: sender ID %q must be 1 to 11 characters with at least one letter", o.SenderID)
	}
	return nil
}

// DefaultMessage is the SMS text: Chinese first (the recipients are mainland China
// numbers), then English, naming what the code is for so that a code requested by
// someone else for a password reset is recognisable as such. The text promises
// 5 minutes; the service that makes the codes must give them that lifetime, or pass its
// own Options.Message.
//
// Chinese makes an SMS UCS-2: 70 characters in one, 67 per segment when split. Both
// texts (112 and 128 characters with a 6-digit code) are sent, and billed, as two
// segments; keep a new wording within 134 characters or it costs a third.
func DefaultMessage(purpose, code string) string {
	switch purpose {
	case kyc.PurposeRegister:
		return "【realname】注册验证码 " + code + "，5分钟内有效，请勿告诉他人。" +
			"Your realname sign-up code is " + code + ", valid for 5 minutes. Do not share it."
	case kyc.PurposeRegisteredNotice:
		return "【realname】此号码已注册，有人尝试用它注册新账号。如忘记密码请使用找回密码。" +
			"This number already has a realname account. Forgot the password? Reset it."
	case kyc.PurposeResetPassword:
		return "【realname】重置密码验证码 " + code + "，5分钟内有效。如非本人操作，请忽略。" +
			"Your realname password reset code is " + code + ", valid for 5 minutes. Not you? Ignore it."
	case kyc.PurposeVerify:
		return "【realname】实名认证验证码 " + code + "，5分钟内有效，请勿告诉他人。" +
			"Your realname verification code is " + code + ", valid for 5 minutes. Do not share it."
	default:
		// Send refuses unknown purposes before calling this; a custom caller still gets
		// a usable text.
		return "【realname】验证码 " + code + "，5分钟内有效。Your realname code is " + code + ", valid for 5 minutes."
	}
}

// Sender is a kyc.SMSSender on SNS. Safe for concurrent use.
type Sender struct {
	client  *sns.Client
	opts    Options
	optsErr error
}

var _ kyc.SMSSender = (*Sender)(nil)

// New returns a Sender that publishes through client. Invalid options (see
// Options.Validate) make every Send fail with the reason.
func New(client *sns.Client, opts Options) *Sender {
	if opts.Message == nil {
		opts.Message = DefaultMessage
	}
	return &Sender{client: client, opts: opts, optsErr: opts.Validate()}
}

// Send texts code to phone (11 digits, mainland China) for purpose.
func (s *Sender) Send(ctx context.Context, phone, purpose, code string) error {
	_, err := s.Publish(ctx, phone, purpose, code)
	return err
}

// Publish is Send that also returns the SNS message ID, which is not personal data and
// lets operators find one delivery in the SNS SMS delivery logs.
//
// Input errors are kyc EINVALID errors naming the field but not its value. SNS errors
// are wrapped with the phone number and code removed from every message in the chain;
// they still match context.Canceled / context.DeadlineExceeded with errors.Is, and
// smithy.APIError (code and fault, with a redacted message) with errors.As.
func (s *Sender) Publish(ctx context.Context, phone, purpose, code string) (string, error) {
	if s.optsErr != nil {
		return "", s.optsErr
	}
	if err := kyc.CheckSMS(phone, purpose, code); err != nil {
		return "", err
	}
	text := s.opts.Message(purpose, code)
	if text == "" || len([]rune(text)) > maxMessageChars {
		return "", fmt.Errorf("sns sms %s: message text is empty or longer than %d characters", purpose, maxMessageChars)
	}
	attrs := map[string]types.MessageAttributeValue{
		attrSMSType: {DataType: aws.String("String"), StringValue: aws.String(smsTransact)},
	}
	if s.opts.SenderID != "" {
		attrs[attrSenderID] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.opts.SenderID)}
	}
	e164 := CountryPrefix + phone
	out, err := s.client.Publish(ctx, &sns.PublishInput{
		PhoneNumber:       aws.String(e164),
		Message:           aws.String(text),
		MessageAttributes: attrs,
	})
	if err != nil {
		return "", fmt.Errorf("sns sms %s: publish: %w", purpose, redact(err, e164, phone, code))
	}
	id := aws.ToString(out.MessageId)
	if id == "" {
		// SNS always answers a successful Publish with an ID; without one we cannot tell
		// the message was accepted.
		return "", fmt.Errorf("sns sms %s: publish returned no message ID", purpose)
	}
	return id, nil
}

// redactedError carries an SNS or transport error whose text has had the personal data
// taken out. It unwraps only to values that hold no such data: the context error, and a
// copy of the API error with its message redacted. The original is dropped, because
// anyone unwrapping to it and logging it would undo the redaction.
type redactedError struct {
	msg    string
	causes []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.causes }

// redact returns err with every secret (longest first, so "+8613..." goes before
// "13...") replaced in its message.
func redact(err error, secrets ...string) error {
	clean := func(s string) string {
		for _, sec := range secrets {
			if sec != "" {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
	r := &redactedError{msg: clean(err.Error())}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ctxErr) {
			r.causes = append(r.causes, ctxErr)
		}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		r.causes = append(r.causes, &smithy.GenericAPIError{
			Code:    api.ErrorCode(),
			Message: clean(api.ErrorMessage()),
			Fault:   api.ErrorFault(),
		})
	}
	return r
}
