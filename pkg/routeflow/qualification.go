package routeflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

// qualificationSteps are the qualification certificate rows (issue 14): a user submits
// one and reads it, a reviewer lists the pending ones and rejects it; the user submits
// another (setup), which a reviewer approves. u is any user, r a reviewer.
func qualificationSteps(u, r *Client, step workerStepFunc, jsonStep stepFunc) error {
	submit := func(name string) (string, error) {
		key, err := u.Upload("qualification", "image/png", filechecktest.PNG(320, 200))
		if err != nil {
			return "", err
		}
		var id string
		do := func() (int, error) {
			e, err := u.JSON(http.MethodPost, "/v1/user/qualification", map[string]string{"picture": key}, http.StatusOK)
			var q struct{ ID string }
			if err == nil {
				if err = json.Unmarshal(e.Data, &q); err == nil && q.ID == "" {
					err = fmt.Errorf("no certificate id in %s", e.Data)
				}
			}
			id = q.ID
			return http.StatusOK, err
		}
		if name == "" {
			_, err = do()
		} else {
			err = step(name, "POST /v1/user/qualification", "SubmitQualificationFunction", func(context.Context) (int, error) { return do() })
		}
		return id, err
	}
	id, err := submit("user submits a qualification certificate")
	if err != nil {
		return err
	}
	if err := jsonStep(u, "user reads the qualification certificate", http.MethodGet, "/v1/user/qualification", nil, 200); err != nil {
		return err
	}
	if err := jsonStep(r, "reviewer lists qualification certificates", http.MethodGet, "/v1/cms/qualification", nil, 200); err != nil {
		return err
	}
	if err := jsonStep(r, "reviewer rejects a qualification certificate", http.MethodPost, "/v1/cms/qualification/"+id+"/reject",
		map[string]string{"reason": "the certificate has expired"}, 200); err != nil {
		return err
	}
	if id, err = submit(""); err != nil {
		return err
	}
	return jsonStep(r, "reviewer approves a qualification certificate", http.MethodPost, "/v1/cms/qualification/"+id+"/approve", nil, 200)
}
