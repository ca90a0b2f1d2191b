package localrun

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/emulators"
)

// StartEmulated starts DynamoDB Local, fauxqs and a VersityGW process and wires the
// services on them through StartLocal (which creates the table, the queue pair and the
// bucket): the same adapters the Lambdas use, at those endpoints. DynamoDB Local and
// fauxqs run in memory; the documents are kept under dir/emulated-s3. cfg's other
// settings (TOKEN_TTL, LOG_LEVEL, ...) apply; its endpoints are replaced.
func StartEmulated(ctx context.Context, dir string, cfg app.Config, log *slog.Logger) (*Backends, error) {
	var procs []*emulators.Process
	stop := func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop()
		}
	}
	ddb, err := emulators.StartDynamoDBLocal(ctx)
	if err != nil {
		return nil, err
	}
	procs = append(procs, ddb)
	sqsProc, err := emulators.StartFauxqs(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	procs = append(procs, sqsProc)
	s3Dir := filepath.Join(dir, "emulated-s3")
	s3Proc, err := emulators.StartVersityGW(ctx, s3Dir, LocalAccessKey, LocalSecretKey)
	if err != nil {
		stop()
		return nil, err
	}
	procs = append(procs, s3Proc)
	cfg.DynamoEndpoint, cfg.S3Endpoint, cfg.SQSEndpoint = ddb.Endpoint, s3Proc.Endpoint, sqsProc.Endpoint
	cfg.SNSEndpoint = sqsProc.Endpoint // fauxqs serves SNS on the same port
	cfg.StaticAccessKey, cfg.StaticSecretKey = LocalAccessKey, LocalSecretKey
	b, err := StartLocal(ctx, dir, cfg, log)
	if err != nil {
		stop()
		return nil, err
	}
	b.closers = append([]func(){stop}, b.closers...)
	b.Services.Backends = app.Backends{Store: "dynamodb (DynamoDB Local)", Documents: "s3 (VersityGW process)", Queue: "sqs (fauxqs)", SMS: "sns (fauxqs)"}
	b.Describe["store"] = "DynamoDB Local " + ddb.Endpoint + " (in memory), table " + b.Config.TableName
	b.Describe["documents"] = "VersityGW " + s3Proc.Endpoint + " (data " + s3Dir + "), bucket " + b.Config.Bucket
	b.Describe["queue"] = "fauxqs " + sqsProc.Endpoint + ", queue " + b.Config.QueueURL
	b.Describe["sms"] = "fauxqs SNS " + sqsProc.Endpoint
	return b, nil
}
