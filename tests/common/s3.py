"""The S3 client behind tests/common/s3.rs: one operation per run, through boto3.

    python s3.py OPERATION [ARGUMENT...]

The endpoint comes in S3_ENDPOINT, the credentials and region in AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION. Names arrive as arguments, object bodies on stdin
or stdout, byte for byte. A request S3 answers with an error exits with status 3 and prints the
error's code (NoSuchKey, SignatureDoesNotMatch, ...) on stderr.
"""

import json
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

# No retries: a refused or failed request is the answer, and setup must spend exactly the
# requests moto lets through unauthenticated.
CONFIG = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})

# Everything on S3, for the harness's user.
S3_ALL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
)


def client(service):
    return boto3.client(service, endpoint_url=os.environ["S3_ENDPOINT"], config=CONFIG)


def setup(user, bucket):
    """The four requests moto serves before it checks signatures: a user, its access key, its
    policy, the bucket. Prints the key's id and secret, a line each."""
    iam = client("iam")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.put_user_policy(UserName=user, PolicyName="s3-all", PolicyDocument=S3_ALL)
    client("s3").create_bucket(Bucket=bucket)
    print(key["AccessKeyId"])
    print(key["SecretAccessKey"])


def put(bucket, key):
    client("s3").put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read())


def get(bucket, key):
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    sys.stdout.buffer.write(body)


def delete(bucket, key):
    client("s3").delete_object(Bucket=bucket, Key=key)


def list_objects(bucket, prefix):
    """Every key under the prefix with its size, as `key NUL size NUL`."""
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for entry in page.get("Contents", []):
            sys.stdout.buffer.write(f"{entry['Key']}\0{entry['Size']}\0".encode())


def create_bucket(bucket):
    client("s3").create_bucket(Bucket=bucket)


OPERATIONS = {
    "setup": setup,
    "put": put,
    "get": get,
    "delete": delete,
    "list": list_objects,
    "create-bucket": create_bucket,
}

if __name__ == "__main__":
    try:
        OPERATIONS[sys.argv[1]](*sys.argv[2:])
    except botocore.exceptions.ClientError as e:
        print(e.response["Error"]["Code"], file=sys.stderr)
        sys.exit(3)
