// Package kmsclient builds the AWS KMS client of the packages that use KMS (pkg/kmsbox for
// webhook secrets, pkg/kmssigner and pkg/ca/kmsseal for the CA): one place for the
// endpoint override that points it at a local stand-in (moto) instead of AWS. A package of
// its own so that only functions that use KMS link the KMS client.
package kmsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// New is the KMS client of awsCfg, at endpoint when it is not empty (KMS_ENDPOINT).
func New(awsCfg aws.Config, endpoint string) *kms.Client {
	return kms.NewFromConfig(awsCfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
