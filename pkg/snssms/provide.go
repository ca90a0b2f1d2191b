package snssms

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/realname-kyc/realname/pkg/app"
)

// Client is the SNS client of awsCfg, at endpoint when it is not "" (an emulator).
func Client(awsCfg aws.Config, endpoint string) *sns.Client {
	return sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// FromConfig is the sender of c's SMS_SENDER_ID; it fails on a malformed one.
func FromConfig(awsCfg aws.Config, c app.Config) (*Sender, error) {
	opts := Options{SenderID: c.SMSSenderID}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("config: environment variable SMS_SENDER_ID: %w", err)
	}
	return New(Client(awsCfg, c.SNSEndpoint), opts), nil
}

// Provide gives e the SMS sender (SNS, at SNS_ENDPOINT when set).
func Provide(e *app.Env) error {
	s, err := FromConfig(e.AWS, e.Config)
	if err != nil {
		return err
	}
	e.SMS = s
	e.Backends.SMS = "sns"
	return nil
}
