import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';

import { PublicLayout } from '@/components/layouts/public-layout';
import { paths } from '@/config/paths';
import { PRIVACY_VERSION } from '@/config/privacy';

function Part({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold text-slate-900">{title}</h2>
      <div className="space-y-2 text-slate-700">{children}</div>
    </section>
  );
}

const link = 'text-blue-800 underline underline-offset-2';

/**
 * The privacy notice people accept when they sign up. Its version (PRIVACY_VERSION) is what the
 * API records as accepted; change the version whenever this text changes in substance.
 */
export function PrivacyRoute() {
  useEffect(() => {
    document.title = 'Privacy notice · Professionals';
  }, []);
  return (
    <PublicLayout title="Privacy notice" intro={<p>Version {PRIVACY_VERSION}</p>}>
      <div className="space-y-6 leading-relaxed">
        <Part title="What we keep">
          <p>When you sign up, or when a partner or our staff add you, we keep:</p>
          <ul className="list-disc space-y-1 pl-6">
            <li>your full name, email address and phone number;</li>
            <li>your company and job title, if given;</li>
            <li>your resume, if you upload one: the PDF file and the text we read from it;</li>
            <li>
              when and how your record was created (by you, by a partner, or by our staff), and when
              it last changed;
            </li>
            <li>
              whether you confirmed your email address, and which version of this notice you
              accepted, and when.
            </li>
          </ul>
        </Part>

        <Part title="Why">
          <p>
            To find professionals for opportunities and to contact them about it. We search the
            details above and the text of resumes to do that. Your email address also lets us send
            you the links to confirm it and to manage your details.
          </p>
          <p>
            We do not sell your details, and we do not use them for advertising.
          </p>
        </Part>

        <Part title="How long">
          <p>
            Until you delete your details, or ask us to. If you sign up and do not confirm your
            email address within 30 days, your sign-up is erased automatically.
          </p>
          <p>
            A link we mail you works for 7 days; once opened, it gives you access to your details
            for 24 hours.
          </p>
        </Part>

        <Part title="Who sees it">
          <ul className="list-disc space-y-1 pl-6">
            <li>our staff, who look for professionals for opportunities;</li>
            <li>if a partner sent us your details, that partner, for the record it sent;</li>
            <li>
              Amazon Web Services, which runs this service for us, stores the data and sends our
              emails.
            </li>
          </ul>
        </Part>

        <Part title="Your rights, and how to use them">
          <p>
            You may see everything we hold about you, correct it, take a copy of it, and have it
            erased. You can do all of that yourself on <Link to={paths.me} className={link}>your
            details page</Link>, through the link we mail you:
          </p>
          <ul className="list-disc space-y-1 pl-6">
            <li>
              <strong>See and correct</strong> your name, email, phone, company and job title, and
              replace your resume;
            </li>
            <li>
              <strong>Download</strong> a copy of your data as a file (JSON);
            </li>
            <li>
              <strong>Delete everything</strong>: your details, your resume and its text are erased
              at once. You may sign up again later.
            </li>
          </ul>
          <p>
            Lost your link, or never had one (for example because a partner added you)? Ask for a
            new one with the <Link to={paths.me} className={link}>“Lost your link?” form</Link>:
            we mail it to the address we hold. For your protection, the form never says whether an
            address is registered.
          </p>
          <p>You may also complain to your data protection authority.</p>
        </Part>

        <Part title="Changes to this notice">
          <p>
            When this notice changes, its version above changes too. We record which version you
            accepted when you signed up.
          </p>
        </Part>
      </div>
    </PublicLayout>
  );
}
