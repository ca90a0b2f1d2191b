package app

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/realname-kyc/realname/pkg/awsconf"
)

// AWSConfig is the SDK configuration of c: its region and static credentials, c's own
// (the local runner's, for emulators) or else the ones Lambda puts in the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which are also the first
// source the SDK's default chain would read there.
//
// It is built by hand (awsconf.Static), not by config.LoadDefaultConfig, on purpose: that
// function links the SSO, STS and IMDS clients into every function for credential sources
// a Lambda never uses.
func AWSConfig(c Config, getenv func(string) string) (aws.Config, error) {
	key, secret, token := c.StaticAccessKey, c.StaticSecretKey, ""
	if key == "" {
		key, secret, token = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	}
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("config: no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function's role)")
	}
	return awsconf.Static(c.Region, key, secret, token), nil
}
