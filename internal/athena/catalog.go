package athena

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// SecurityLakeDatabasePrefix starts the name of every Glue database Security Lake creates:
// amazon_security_lake_glue_db_<region with underscores>.
const SecurityLakeDatabasePrefix = "amazon_security_lake_glue_db"

// SecurityLakeBucketPrefix starts the name of Security Lake's S3 buckets:
// aws-security-data-lake-<region>-<id>.
const SecurityLakeBucketPrefix = "aws-security-data-lake-"

// DatabaseForRegion is Security Lake's Glue database name in region (us-east-1 →
// amazon_security_lake_glue_db_us_east_1).
func DatabaseForRegion(region string) string {
	return SecurityLakeDatabasePrefix + "_" + strings.ReplaceAll(region, "-", "_")
}

// Table is a Glue table.
type Table struct {
	Name          string            `json:"name"`
	Columns       []Column          `json:"columns"`
	PartitionKeys []Column          `json:"partition_keys,omitempty"`
	Location      string            `json:"location,omitempty"`
	Parameters    map[string]string `json:"parameters,omitempty"`
}

// Databases lists the names of the Glue databases of the catalog.
func (c *Client) Databases(ctx context.Context) ([]string, error) {
	var names []string
	p := glue.NewGetDatabasesPaginator(c.glue, &glue.GetDatabasesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return names, fmt.Errorf("glue: list databases: %w", err)
		}
		for _, d := range out.DatabaseList {
			names = append(names, aws.ToString(d.Name))
		}
	}
	return names, nil
}

// Tables lists the tables of a Glue database with their columns.
func (c *Client) Tables(ctx context.Context, database string) ([]Table, error) {
	var tables []Table
	p := glue.NewGetTablesPaginator(c.glue, &glue.GetTablesInput{DatabaseName: aws.String(database)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return tables, fmt.Errorf("glue: list tables of %s: %w", database, err)
		}
		for _, t := range out.TableList {
			tb := Table{Name: aws.ToString(t.Name), Parameters: t.Parameters}
			if sd := t.StorageDescriptor; sd != nil {
				tb.Location = aws.ToString(sd.Location)
				for _, col := range sd.Columns {
					tb.Columns = append(tb.Columns, Column{Name: aws.ToString(col.Name), Type: aws.ToString(col.Type)})
				}
			}
			for _, col := range t.PartitionKeys {
				tb.PartitionKeys = append(tb.PartitionKeys, Column{Name: aws.ToString(col.Name), Type: aws.ToString(col.Type)})
			}
			tables = append(tables, tb)
		}
	}
	return tables, nil
}

// Buckets lists the names of the account's S3 buckets.
func (c *Client) Buckets(ctx context.Context) ([]string, error) {
	out, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("s3: list buckets: %w", err)
	}
	names := make([]string, 0, len(out.Buckets))
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names, nil
}

// Identity is who the credentials are.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"user_id"`
}

// Identity asks STS who the client's credentials belong to.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("sts: get caller identity: %w", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}

// WorkgroupOutputLocation returns the result location configured on the client's
// workgroup, or "" when it has none.
func (c *Client) WorkgroupOutputLocation(ctx context.Context) (string, error) {
	out, err := c.athena.GetWorkGroup(ctx, &sdkathena.GetWorkGroupInput{WorkGroup: aws.String(c.opts.Workgroup)})
	if err != nil {
		return "", fmt.Errorf("athena: get workgroup %s: %w", c.opts.Workgroup, err)
	}
	if wg := out.WorkGroup; wg != nil && wg.Configuration != nil && wg.Configuration.ResultConfiguration != nil {
		return aws.ToString(wg.Configuration.ResultConfiguration.OutputLocation), nil
	}
	return "", nil
}
