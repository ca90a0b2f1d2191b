module github.com/realname-kyc/realname

go 1.26
