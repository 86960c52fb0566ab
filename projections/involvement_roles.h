// The involvement domain's roles: which event types each kind of client
// may append, as the data ledger::AccessPolicy decides from. The table is
// documented, and kept in step with this file, in docs/security.md.
#ifndef PROJECTIONS_INVOLVEMENT_ROLES_H_
#define PROJECTIONS_INVOLVEMENT_ROLES_H_

#include "ledger/access_policy.h"

namespace involvement {

// recorder    involvement events: bodies and meetings, feedback, escalations
//             and responses, recommendations made, telling back,
//             recruitment, surveys, reviews, advocacy, training, impact
// secretary   Board responses, actions updated and completed
// complaints  complaint events
// auditor     no appends
// admin       any payload, including corrections and non-domain streams
// Every role may read: entries, checkpoints, proofs and the views.
ledger::RoleTable InvolvementRoles();

}  // namespace involvement

#endif  // PROJECTIONS_INVOLVEMENT_ROLES_H_
